"""The Moodle export follows tool_lpimportcsv's columns and builds the DC → competence →
indicator tree, with no row that would combine domains."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lti_tool.grading.frameworks.models import Framework
from lti_tool.grading.frameworks.moodle_csv import (
    MOODLE_CSV_HEADER,
    SHORT_NAME_MAX,
    framework_moodle_csv,
)
from lti_tool.grading.frameworks.selectors import framework_get
from lti_tool.grading.frameworks.services import frameworks_load
from tests.grading.frameworks_fixtures import reform_yaml, write_yaml

pytestmark = pytest.mark.django_db

# admin/tool/lpimportcsv/lang/en/tool_lpimportcsv.php, in the order of
# framework_importer::list_required_headers() (the importer reads columns by position).
IMPORTER_HEADER = [
    "Parent ID number", "ID number", "Short name", "Description", "Description format",
    "Scale values", "Scale configuration", "Rule type (optional)", "Rule outcome (optional)",
    "Rule config (optional)", "Cross-referenced competency ID numbers", "Exported ID (optional)",
    "Is framework", "Taxonomy",
]  # fmt: skip
PARENT, IDNUMBER, SHORTNAME, DESCRIPTION, FORMAT, SCALE, SCALECONFIG, RULETYPE = range(8)
IS_FRAMEWORK, TAXONOMY = 12, 13


def parse(content: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content, newline="")))


def read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as file:
        return file.read()


@pytest.fixture
def rows(decesf: Framework) -> list[list[str]]:
    return parse(framework_moodle_csv(framework=decesf))


def test_the_header_is_the_importers_header_and_every_row_has_its_14_columns(
    rows: list[list[str]],
) -> None:
    assert rows[0] == IMPORTER_HEADER == list(MOODLE_CSV_HEADER)
    assert {len(row) for row in rows} == {14}


def test_the_first_row_describes_the_framework_with_its_scale_and_taxonomies(
    rows: list[list[str]],
) -> None:
    framework = rows[1]
    assert framework[IS_FRAMEWORK] == "1"
    assert framework[PARENT] == ""
    assert framework[IDNUMBER] == "DECESF-2018-v1"
    assert framework[SCALE] == "Non acquis,En cours d'acquisition,Acquis,Maîtrisé"
    config = json.loads(framework[SCALECONFIG])
    assert "scaleid" in config[0]
    assert [item["id"] for item in config[1:]] == [1, 2, 3, 4]
    assert [item["scaledefault"] for item in config[1:]] == [0, 0, 1, 0]
    assert [item["proficient"] for item in config[1:]] == [0, 0, 1, 1]
    assert framework[TAXONOMY] == "domain,competency,indicator"
    assert not any(row[IS_FRAMEWORK] for row in rows[2:])


def test_domains_are_top_level_and_every_parent_resolves_within_one_domain(
    rows: list[list[str]],
) -> None:
    competencies = rows[2:]
    ids = [row[IDNUMBER] for row in competencies]
    assert len(ids) == len(set(ids)) == 4 + 35 + 57
    top = [row[IDNUMBER] for row in competencies if row[PARENT] == ""]
    assert top == ["DC1", "DC2", "DC3", "DC4"]
    seen: set[str] = set()
    domain_of = {code: code for code in top}
    for row in competencies:
        parent = row[PARENT]
        if parent:
            # Moodle builds the tree from parents already listed; a child never crosses domains.
            assert parent in seen, row[IDNUMBER]
            domain_of[row[IDNUMBER]] = domain_of[parent]
            assert row[IDNUMBER].startswith(parent + "."), row[IDNUMBER]
            assert row[IDNUMBER].split(".")[0] == domain_of[parent]
        seen.add(row[IDNUMBER])
    assert domain_of["DC2.A3.1"] == "DC2"
    parents = {row[IDNUMBER]: row[PARENT] for row in competencies}
    assert parents["DC2.A3"] == "DC2"
    assert parents["DC2.A3.1"] == "DC2.A3"


def test_nothing_is_averaged_or_totalled(rows: list[list[str]]) -> None:
    competencies = rows[2:]
    assert all(row[RULETYPE] == "" for row in competencies)
    assert all(row[SCALE] == "" for row in competencies)  # they inherit the framework scale
    names = " ".join(row[SHORTNAME].lower() for row in rows)
    assert not re.search(r"\b(total|moyenne|average|overall)\b", names)


def test_short_names_fit_moodles_limit_and_full_labels_stay_in_the_description(
    rows: list[list[str]],
) -> None:
    assert max(len(row[SHORTNAME]) for row in rows[1:]) <= SHORT_NAME_MAX
    dc2a3 = next(row for row in rows if row[IDNUMBER] == "DC2.A3")
    assert dc2a3[SHORTNAME].startswith("DC2.A3 Impulser, conduire")
    assert dc2a3[SHORTNAME].endswith("…")
    assert "dans les domaines de la vie quotidienne</p>" in dc2a3[DESCRIPTION]
    assert "Code RNCP : C2.A3." in dc2a3[DESCRIPTION]
    assert dc2a3[FORMAT] == "1"
    dc3 = next(row for row in rows if row[IDNUMBER] == "DC3")
    assert "Intitulé à vérifier" in dc3[DESCRIPTION]


def test_the_command_writes_the_latest_version_or_the_one_asked(
    decesf: Framework, tmp_path: Path
) -> None:
    frameworks_load(paths=[write_yaml(tmp_path, "v1.yaml", reform_yaml(version=1))])
    frameworks_load(paths=[write_yaml(tmp_path, "v2.yaml", reform_yaml(version=2))])
    latest = tmp_path / "latest.csv"
    call_command("framework_export_moodle_csv", "DECESF-TEST", "--output", str(latest))
    assert parse(read(latest))[1][IDNUMBER] == "DECESF-TEST-v2"
    first = tmp_path / "first.csv"
    call_command(
        "framework_export_moodle_csv", "DECESF-TEST", "--version", "1", "--output", str(first)
    )
    assert read(first) == framework_moodle_csv(
        framework=framework_get(code="DECESF-TEST", version=1)
    )


def test_the_command_explains_an_unknown_framework(db: None) -> None:
    with pytest.raises(CommandError, match="« NOPE » n'existe pas"):
        call_command("framework_export_moodle_csv", "NOPE")
