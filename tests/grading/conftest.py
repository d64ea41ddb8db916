"""Fixtures shared by the grading tests."""

from tests.grading.frameworks_fixtures import decesf  # noqa: F401
