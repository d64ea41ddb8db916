# The AGS fixtures live in tests/lti/ags_fixtures.py, next to the helpers they use.
from tests.lti.ags_fixtures import ags_connections_closed, launched  # noqa: F401
