"""The DPA fixtures for every test of this folder (tests/activities/dpa/fixtures.py)."""

from tests.activities.dpa.fixtures import dpa  # noqa: F401
from tests.grading.frameworks_fixtures import decesf  # noqa: F401
