"""DSL project briefs: the validator (one line-precise French message per problem, all at
once), the shipped briefs, publishing and the staff upload."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lti_tool.activities.content_yaml import ContentInvalid, ContentProblem, FrameworkCodes
from lti_tool.activities.dsl.content import (
    LADDER,
    STEP_IDS,
    dsl_from_json,
    dsl_parse,
    dsl_validate,
)
from lti_tool.activities.models import Activity, ActivityVersion
from lti_tool.activities.services import (
    activities_load,
    content_kind,
    dsl_files,
    framework_lookup,
    shipped_files,
)
from lti_tool.grading.rules import ActivityKind
from tests.activities.test_scenario_content import line_of


def lookup(code: str, version: int) -> FrameworkCodes | None:
    """DECESF-2018's domains; competences are checked against the real framework below."""
    if (code, version) != ("DECESF-2018", 1):
        return None
    return FrameworkCodes(frozenset({"DC1", "DC2", "DC3", "DC4"}))


PEUPLIERS = Path(dsl_files()[1])
BASE = PEUPLIERS.read_text(encoding="utf-8")


def problems_of(text: str) -> list[ContentProblem]:
    with pytest.raises(ContentInvalid) as caught:
        dsl_parse(text, source_name="projet.yaml", framework_lookup=lookup)
    return caught.value.problems


def assert_problem(problems: list[ContentProblem], line: int | None, *fragments: str) -> None:
    matching = [p for p in problems if all(f in p.message for f in fragments)]
    assert matching, f"no problem with {fragments} in {[str(p) for p in problems]}"
    assert any(p.line == line for p in matching), [str(p) for p in matching]


@pytest.mark.django_db
def test_the_three_shipped_briefs_are_valid_and_cover_the_eight_steps() -> None:
    assert [p.name for p in dsl_files()] == [
        "dsl-haut-vallon.yaml",
        "dsl-quartier-des-peupliers.yaml",
        "dsl-residence-les-mouettes.yaml",
    ]
    for path in dsl_files():
        brief = dsl_from_json(
            dsl_parse(
                path.read_text(encoding="utf-8"),
                source_name=path.name,
                framework_lookup=framework_lookup(),
            )
        )
        assert tuple(step.id for step in brief.steps) == STEP_IDS
        assert {c.domain for c in brief.criteria} == {"DC1", "DC2", "DC3", "DC4"}
        assert 2 <= len(brief.dilemmas) <= 3 and brief.alpha == Decimal("0.2")
        assert all(len(step.dilemmas) <= 2 for step in brief.steps)
        assert brief.field_of_type(LADDER).words
        assert len(brief.territory.figures) >= 5 and brief.territory.budget_amount > 0


def test_a_brief_is_read_as_dsl_by_its_format_key() -> None:
    assert content_kind(BASE) == ActivityKind.DSL


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    text = (
        BASE.replace("alpha: 0.2", "alpha: 0.8")
        .replace("team_sizes: [1, 3, 4]", "team_sizes: [1, 2]")
        .replace("  - id: partenariat", "  - id: partenaires")
        .replace("        words: 350\n", "        words: 5\n", 1)
    )
    problems = problems_of(text)
    assert_problem(problems, line_of(text, "alpha: 0.8"), "alpha", "entre 0 et 0.5")
    assert_problem(problems, line_of(text, "team_sizes"), "taille d'équipe « 2 »")
    assert_problem(problems, line_of(text, "id: partenaires"), "« partenariat »")
    assert_problem(problems, line_of(text, "words: 5"), "limite de mots", "entre 20 et 2000")


def test_an_option_must_score_every_criterion_of_its_card() -> None:
    text = BASE.replace("scores: {DSL-DIAG: 4, DSL-MED: 3}", "scores: {DSL-DIAG: 4}")
    assert_problem(problems_of(text), line_of(text, "scores: {DSL-DIAG: 4}"),
                   "score manquant pour DSL-MED")  # fmt: skip


def test_a_score_outside_zero_to_four_or_for_an_untagged_criterion_is_refused() -> None:
    text = BASE.replace("scores: {DSL-MOB: 4}", "scores: {DSL-MOB: 5, DSL-EVAL: 2}")
    problems = problems_of(text)
    line = line_of(text, "DSL-MOB: 5")
    assert_problem(problems, line, "DSL-MOB", "entre 0 et 4")
    assert_problem(problems, line, "DSL-EVAL n'est pas dans les criteria de la carte")


def test_a_card_feeding_a_criterion_not_declared_auto_is_refused() -> None:
    text = BASE.replace("    label: \"Diagnostic partagé et participatif\"\n    auto: true\n",
                        "    label: \"Diagnostic partagé et participatif\"\n")  # fmt: skip
    assert_problem(problems_of(text), line_of(text, "criteria: [DSL-DIAG, DSL-MED]"),
                   "DSL-DIAG est nourri par une carte", "auto: true")  # fmt: skip


def test_an_auto_criterion_no_card_feeds_is_refused() -> None:
    text = BASE.replace('    label: "Conception d\'une évaluation participative"\n',
                        '    label: "Conception d\'une évaluation participative"\n    auto: true\n')  # fmt: skip
    problems = problems_of(text)
    lines = text.splitlines()
    start = line_of(text, "code: DSL-EVAL")
    auto_line = next(n for n in range(start, len(lines)) if "auto: true" in lines[n - 1])
    assert_problem(problems, auto_line, "DSL-EVAL", "aucune carte")


def test_a_third_dilemma_in_a_step_and_an_unknown_criterion_are_refused() -> None:
    card = BASE[BASE.index("      - id: reunion-vide") : BASE.index("  - id: plan")]
    second = card.replace("id: reunion-vide", "id: reunion-bis")
    third = card.replace("id: reunion-vide", "id: reunion-ter").replace(
        "criteria: [DSL-MOB]", "criteria: [DSL-XYZ]"
    )
    text = BASE.replace(card, card + second + third)
    problems = problems_of(text)
    assert_problem(problems, line_of(text, "dilemmas:", 3), "3 cartes dilemmes", "de 0 à 2")
    assert_problem(problems, line_of(text, "criteria: [DSL-XYZ]"), "DSL-XYZ n'est pas déclaré")


def test_each_structured_tool_appears_once_in_its_own_step() -> None:
    text = BASE.replace("        type: stakeholders\n", "", 1).replace(
        "        type: ladder\n", "        type: phasing\n", 1
    )
    problems = problems_of(text)
    assert_problem(problems, line_of(text, "steps:"), "aucun champ de type stakeholders")
    assert_problem(problems, line_of(text, "type: phasing"), "va dans l'étape « plan »")
    assert_problem(problems, line_of(text, "type: phasing", 2), "un seul champ de type phasing")


def test_a_criterion_needs_five_levels_and_a_competence_of_its_domain() -> None:
    text = BASE.replace("      4: \"Niveau 3, et la place des habitant·es et des bénévoles",
                        "      5: \"Niveau 3, et la place des habitant·es et des bénévoles")  # fmt: skip
    text = text.replace("competences: [DC2.D2]", "competences: [DC4.8]")
    problems = problems_of(text)
    assert_problem(problems, line_of(text, "      5: "), "niveau « 5 » inconnu")
    assert_problem(problems, line_of(text, "code: DSL-EQP") + 5, "descripteur du niveau 4")
    assert_problem(
        problems, line_of(text, "competences: [DC4.8]", 2), "n'appartient pas au domaine DC2"
    )


def test_the_territory_pack_is_checked() -> None:
    text = BASE.replace("    amount: 60000", "    amount: beaucoup")
    text = text.replace("  press:\n", "  presse:\n")
    problems = problems_of(text)
    assert_problem(
        problems, line_of(text, "amount: beaucoup"), "le montant (euros)", "nombre entier"
    )
    assert_problem(problems, line_of(text, "presse:"), "clé inconnue « presse »")
    assert_problem(problems, line_of(text, "territory:"), "clé obligatoire « press »")


def test_unreadable_yaml_is_one_problem_with_its_line() -> None:
    text = BASE.replace('title: "Mandat et territoire"', 'title: "Mandat et territoire')
    (problem,) = problems_of(text)
    assert "YAML illisible" in problem.message and problem.line is not None


def test_already_parsed_content_is_checked_without_lines() -> None:
    content = dsl_parse(BASE, source_name="p.yaml", framework_lookup=lookup)
    content["steps"][0]["fields"][0]["words"] = 0
    with pytest.raises(ContentInvalid) as caught:
        dsl_validate(content, framework_lookup=lookup)
    assert caught.value.problems[0].line is None


@pytest.mark.django_db
def test_the_migration_publishes_the_three_briefs_once() -> None:
    for path in dsl_files():
        slug = path.stem
        activity = Activity.objects.get(slug=slug)
        assert activity.kind == ActivityKind.DSL.value
        version = ActivityVersion.objects.get(activity=activity)
        assert version.domains == ["DC4", "DC2", "DC3", "DC1"]
    assert set(dsl_files()) <= set(shipped_files())
    again = activities_load(paths=dsl_files())
    assert [v.version for v in again] == [1, 1, 1]


@pytest.mark.django_db
def test_criteria_are_checked_against_the_loaded_framework() -> None:
    text = BASE.replace("competences: [DC4.5]", "competences: [DC4.99]")
    with pytest.raises(ContentInvalid) as caught:
        dsl_parse(text, source_name="p.yaml", framework_lookup=framework_lookup())
    assert "DC4.99 n'existe pas" in str(caught.value)


@pytest.fixture
def staff_client(client: Client, db: None) -> Client:
    user = get_user_model().objects.create_user(username="admin.dsl", password="x", is_staff=True)
    client.force_login(user)
    return client


def test_staff_check_then_publish_a_brief_through_the_upload_screen(staff_client: Client) -> None:
    text = BASE.replace("slug: dsl-quartier-des-peupliers", "slug: dsl-essai")
    upload = lambda: SimpleUploadedFile("dsl.yaml", text.encode())  # noqa: E731
    response = staff_client.post("/staff/activites/", {"file": upload(), "action": "check"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fichier valide : dsl-essai (non publié)" in page and "14 critères, 3 cartes" in page
    response = staff_client.post("/staff/activites/", {"file": upload()})
    assert "Publié : dsl-essai, version 1" in response.content.decode()
    assert Activity.objects.get(slug="dsl-essai").kind == ActivityKind.DSL.value
