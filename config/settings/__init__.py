"""Settings entry point: one env-driven base plus one module per integration."""

from config.settings.base import *  # noqa: F403
from config.settings.cache import *  # noqa: F403
from config.settings.celery import *  # noqa: F403
from config.settings.database import *  # noqa: F403
from config.settings.lti import *  # noqa: F403
from config.settings.security import *  # noqa: F403
