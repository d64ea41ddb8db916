"""Helpers shared by the framework tests: small YAML files written in the test's tmp dir."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lti_tool.grading.frameworks.models import Framework
from lti_tool.grading.frameworks.selectors import framework_get
from lti_tool.grading.frameworks.services import frameworks_load


def write_yaml(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def reform_yaml(
    *, version: int = 1, bc1_title: str = "Concevoir et conduire un accompagnement"
) -> str:
    """A made-up framework shaped like the 2025 reform (blocs BC1, BC2), for tests only."""
    return f"""
    framework:
      code: DECESF-TEST
      version: {version}
      title_fr: "Référentiel de test"
      valid_from: "2026-09"
      domains:
        - code: BC1
          kind: BC
          title_fr: "{bc1_title}"
          short_title_fr: "Accompagnement"
          competences:
            - code: BC1.1
              label_fr: "Compétence de test un"
              indicators:
                - {{code: BC1.1.1, label_fr: "Indicateur de test"}}
        - code: BC2
          kind: BC
          title_fr: "Deuxième bloc"
          competences:
            - code: BC2.1
              label_fr: "Compétence de test deux"
    """


@pytest.fixture
def decesf(db: None) -> Framework:
    # The data migration loads DECESF-2018, but tests that flush the database (live_server,
    # transactional_db) may have run before: load again, which is idempotent.
    frameworks_load()
    return framework_get(code="DECESF-2018")
