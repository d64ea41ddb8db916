# The demo fixtures live in tests/demo_fixtures.py so that the root conftest can share them.
from tests.demo_fixtures import (  # noqa: F401
    client_assertion,
    demo_platform,
    demo_token,
    demo_tool,
)
