"""The DSL fixtures for every test of this folder (tests/activities/dsl/fixtures.py)."""

from tests.activities.dsl.fixtures import dsl  # noqa: F401
