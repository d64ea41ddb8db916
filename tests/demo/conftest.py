"""The demo fixtures are shared from the root conftest (tests/demo_fixtures.py)."""
