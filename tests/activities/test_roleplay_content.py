"""Co-animation role-play briefs: the validator (one line-precise French message per
problem, all at once), the shipped briefs, publishing and the catalogue."""

from __future__ import annotations

import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from lti_tool.activities.catalogue import CatalogueQuery, catalogue_entries
from lti_tool.activities.content_yaml import ContentInvalid
from lti_tool.activities.models import Activity, ActivityVersion
from lti_tool.activities.roleplays.content import (
    LEVELS,
    roleplay_from_json,
    roleplay_parse,
    roleplay_validate,
)
from lti_tool.activities.services import (
    activities_load,
    content_kind,
    framework_lookup,
    roleplay_files,
    shipped_files,
)
from lti_tool.grading.rules import ActivityKind
from tests.activities.test_scenario_content import BASE as SCENARIO
from tests.activities.test_scenario_content import line_of, lookup

BASE = textwrap.dedent(
    """\
    format: atelier-roleplay/1
    slug: essai-jeu
    title: "Essai de jeu de rôle"
    summary: "Un jeu de rôle d'essai."
    languages: [fr]
    framework: {code: DECESF-2018, version: 1}
    setting: "Une salle commune."
    public: "Des locataires."
    objectives: ["Informer", "Faire connaissance"]
    duration_minutes: 60
    co_animators: 2
    mandates:
      - {id: bailleur, institution: "Bailleur", role: "Informer sur le logement."}
      - {id: caf, institution: "CAF", role: "Informer sur les aides."}
    role_cards:
      - id: mme-a
        name: "Mme A"
        persona: "Locataire inquiète."
        hidden: "Vous coupez la parole."
      - id: m-b
        name: "M. B"
        persona: "Locataire discret."
        hidden: "Vous ne parlez que si on vous invite."
    observer_focuses:
      - {id: cadre, label: "Cadre", criteria: [CA-REG]}
      - {id: binome, label: "Binôme", criteria: [CA-BIN, CA-REG]}
    incidents:
      - id: i1
        twist: "Mme A conteste la CAF."
        to: mme-a
        when: {minute: 20}
        expected: "Énoncer le mandat sans se défendre."
        criteria: [CA-REG]
      - id: i2
        twist: "Contredire sa partenaire."
        to: caf
        when: {phase: "pause"}
        expected: "On vérifie ensemble à la pause."
    criteria:
      - code: CA-REG
        domain: DC2
        competences: [DC2.A2]
        weight: 2
        scope: individual
        evidence: [observers, trainer]
        label: "Régulation"
        levels: {0: "Absent", 1: "Insuffisant", 2: "En voie", 3: "Acquis", 4: "Maîtrisé"}
      - code: CA-BIN
        domain: DC4
        competences: [DC4.4]
        weight: 3
        scope: shared
        evidence: [observers, partner, trainer]
        label: "Binôme"
        levels:
          0: "Contredit"
          1: "Seul"
          2: "Maladroit"
          3: "Relais"
          4: "Complémentaires"
    """
)

CA_CODES = ["CA-PREP", "CA-CADRE", "CA-PART", "CA-REG", "CA-EVAL", "CA-BIN", "CA-INST",
            "CA-ORAL", "CA-TRANS", "CA-TECH", "CA-REFL"]  # fmt: skip
SHIPPED = {"premiers-pas-logement", "parents-d-ados-la-passerelle", "theatre-forum-le-guichet"}


def problems_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ContentInvalid) as caught:
        roleplay_parse(text, source_name="essai.yaml", framework_lookup=lookup)
    return [(p.line, p.message) for p in caught.value.problems]


def has(problems: list[tuple[int | None, str]], line: int, fragment: str) -> bool:
    return any(at == line and fragment in message for at, message in problems)


# --- the validator ------------------------------------------------------------------------


def test_the_base_brief_is_valid_and_reads_back_with_its_domains_in_order() -> None:
    content = roleplay_parse(BASE, source_name="essai.yaml", framework_lookup=lookup)
    brief = roleplay_from_json(content)
    assert brief.slug == "essai-jeu" and brief.domains() == ["DC2", "DC4"]
    assert [c.scope for c in brief.criteria] == ["individual", "shared"]
    assert brief.criteria[1].levels == (
        "Contredit",
        "Seul",
        "Maladroit",
        "Relais",
        "Complémentaires",
    )
    assert roleplay_validate(content, framework_lookup=lookup) == content


def test_unknown_and_missing_keys_are_named_with_their_line() -> None:
    text = BASE.replace('    hidden: "Vous coupez la parole."\n', '    secret: "Vous coupez."\n')
    found = problems_of(text)
    assert has(found, line_of(text, "secret:"), "clé inconnue « secret »")
    assert has(found, line_of(text, "- id: mme-a"), "clé obligatoire « hidden » manquante")


def test_a_duplicate_role_card_id_points_to_the_first_one() -> None:
    text = BASE.replace("- id: m-b", "- id: mme-a")
    found = problems_of(text)
    assert has(
        found,
        line_of(text, "- id: mme-a", 2),
        f"déjà utilisé (ligne {line_of(text, '- id: mme-a')})",
    )


def test_an_incident_given_to_an_unknown_role_card_is_refused() -> None:
    text = BASE.replace("to: mme-a", "to: mme-z")
    found = problems_of(text)
    assert has(found, line_of(text, "to: mme-z"), "confié à « mme-z », qui n'est ni une carte")


def test_an_observer_focus_citing_an_undeclared_criterion_is_refused() -> None:
    text = BASE.replace("criteria: [CA-BIN, CA-REG]", "criteria: [CA-BIN, CA-ORAL]")
    found = problems_of(text)
    assert has(found, line_of(text, "CA-ORAL"), "le critère CA-ORAL n'est pas déclaré")


def test_criteria_outside_the_framework_or_across_domains_are_refused() -> None:
    text = BASE.replace("domain: DC4", "domain: DC9").replace("[DC2.A2]", "[DC2.Z9, DC4.4]")
    found = problems_of(text)
    assert has(found, line_of(text, "domain: DC9"), "le domaine DC9 n'existe pas")
    assert has(found, line_of(text, "DC2.Z9"), "la compétence DC2.Z9 n'existe pas")
    assert has(found, line_of(text, "DC2.Z9"), "DC4.4 n'appartient pas au domaine DC2")


def test_a_missing_level_descriptor_is_named_by_level_and_criterion() -> None:
    text = BASE.replace('      4: "Complémentaires"\n', "")
    found = problems_of(text)
    levels_line = line_of(text, '0: "Contredit"') - 1
    assert has(found, levels_line, "descripteur du niveau 4 manquant pour CA-BIN")
    assert LEVELS == ("0", "1", "2", "3", "4")


def test_a_scope_other_than_shared_or_individual_is_refused() -> None:
    text = BASE.replace("scope: shared", "scope: team")
    assert has(problems_of(text), line_of(text, "scope: team"), "portée « team » inconnue")


def test_evidence_must_include_the_trainer_and_a_focus_only_cites_observed_criteria() -> None:
    text = BASE.replace("evidence: [observers, partner, trainer]", "evidence: [partner, voisins]")
    found = problems_of(text)
    evidence = line_of(text, "evidence: [partner, voisins]")
    assert has(found, evidence, "evidence doit comprendre trainer")
    assert has(found, evidence, "source « voisins » inconnue")
    assert has(found, line_of(text, "criteria: [CA-BIN, CA-REG]"), "CA-BIN n'est pas observable")


def test_a_declared_language_without_its_translation_is_refused() -> None:
    text = BASE.replace("languages: [fr]", "languages: [fr, en]").replace(
        'title: "Essai de jeu de rôle"', 'title: {fr: "Essai de jeu de rôle"}'
    )
    found = problems_of(text)
    assert has(found, line_of(text, "title:"), "traduction manquante en « en » pour le titre")
    assert has(found, line_of(text, "summary:"), "doit être traduit dans chaque langue")


def test_an_incident_after_the_end_and_a_bad_when_are_refused() -> None:
    text = BASE.replace("when: {minute: 20}", "when: {minute: 90}").replace(
        'when: {phase: "pause"}', "when: 12"
    )
    found = problems_of(text)
    assert has(found, line_of(text, "minute: 90"), "entre 0 et 60")
    assert has(found, line_of(text, "when: 12"), "when s'écrit {minute: 20}")


def test_a_wrong_number_of_mandates_and_a_non_ca_code_are_refused() -> None:
    text = BASE.replace(
        '  - {id: caf, institution: "CAF", role: "Informer sur les aides."}\n',
        '  - {id: caf, institution: "CAF", role: "Informer sur les aides."}\n'
        '  - {id: ccas, institution: "CCAS", role: "Accès aux droits."}\n',
    ).replace("code: CA-REG", "code: GD-REG")
    found = problems_of(text)
    assert has(
        found, line_of(text, "mandates:"), "3 mandat(s) institutionnel(s) : il en faut de 1 à 2"
    )
    assert has(found, line_of(text, "code: GD-REG"), "doit commencer par CA-")


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = (
        BASE.replace("to: mme-a", "to: personne")
        .replace("scope: shared", "scope: tous")
        .replace("format: atelier-roleplay/1", "format: atelier-roleplay/9")
    )
    with pytest.raises(ContentInvalid) as caught:
        roleplay_parse(text, source_name="essai.yaml", framework_lookup=lookup)
    lines = [p.line for p in caught.value.problems]
    assert len(lines) == 3 and lines == sorted(lines)
    assert "La fiche de jeu de rôle « essai.yaml » n'est pas valide (3 problèmes)" in str(
        caught.value.message
    )


def test_the_format_key_sends_a_file_to_its_validator() -> None:
    assert content_kind(BASE) == ActivityKind.ROLEPLAY
    assert content_kind(SCENARIO) == ActivityKind.SCENARIO
    assert content_kind("format: [") == ActivityKind.SCENARIO


# --- the shipped briefs -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", roleplay_files(), ids=lambda p: p.name)
def test_each_shipped_brief_validates_and_follows_the_authoring_guidance(path: Path) -> None:
    content = roleplay_parse(
        path.read_text(encoding="utf-8"), source_name=path.name, framework_lookup=framework_lookup()
    )
    assert 5 <= len(content["role_cards"]) <= 8
    assert 2 <= len(content["observer_focuses"]) <= 3
    assert 2 <= len(content["incidents"]) <= 3
    assert [c["code"] for c in content["criteria"]] == CA_CODES
    scopes = {c["code"]: c["scope"] for c in content["criteria"]}
    assert {code for code, scope in scopes.items() if scope == "shared"} == {"CA-PREP", "CA-EVAL"}
    brief = roleplay_from_json(content)
    assert brief.domains() == ["DC2", "DC4", "DC3", "DC1"]
    trainer_only = {c.criterion.code for c in brief.criteria if c.evidence == ("trainer",)}
    assert trainer_only == {"CA-PREP", "CA-TRANS", "CA-TECH", "CA-REFL"}


def test_three_shipped_briefs_cover_the_three_example_settings() -> None:
    assert {p.stem for p in roleplay_files()} == SHIPPED


@pytest.mark.django_db
def test_the_shipped_briefs_are_published_by_the_migration_and_loading_again_changes_nothing() -> (
    None
):
    versions = ActivityVersion.objects.filter(activity__slug__in=SHIPPED)
    assert {v.activity.slug for v in versions} == SHIPPED and {v.version for v in versions} == {1}
    assert {v.activity.kind for v in versions} == {ActivityKind.ROLEPLAY.value}
    logement = versions.get(activity__slug="premiers-pas-logement")
    assert logement.domains == ["DC2", "DC4", "DC3", "DC1"] and logement.estimated_minutes == 120
    before = ActivityVersion.objects.count()
    again = activities_load(paths=roleplay_files())
    assert {v.pk for v in again} == {v.pk for v in versions}
    assert ActivityVersion.objects.count() == before


@pytest.mark.django_db
def test_a_changed_brief_becomes_version_two_and_the_first_stays_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "essai.yaml"
    path.write_text(BASE, encoding="utf-8")
    (first,) = activities_load(paths=[path])
    path.write_text(BASE.replace("duration_minutes: 60", "duration_minutes: 75"), encoding="utf-8")
    (second,) = activities_load(paths=[path])
    first.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert first.content["duration_minutes"] == 60 and second.estimated_minutes == 75
    assert Activity.objects.get(slug="essai-jeu").kind == ActivityKind.ROLEPLAY.value


@pytest.mark.django_db
def test_a_slug_taken_by_a_scenario_is_refused_for_a_brief(tmp_path: Path) -> None:
    path = tmp_path / "essai.yaml"
    path.write_text(BASE.replace("slug: essai-jeu", "slug: premier-groupe-parents"), "utf-8")
    with pytest.raises(Exception, match="déjà pris par une activité d'un autre type"):
        activities_load(paths=[path])


@pytest.mark.django_db
def test_the_command_publishes_every_shipped_file_by_default() -> None:
    out = StringIO()
    call_command("activities_load", stdout=out)
    printed = out.getvalue()
    assert all(slug in printed for slug in SHIPPED)
    assert len(printed.strip().splitlines()) == len(shipped_files())


@pytest.mark.django_db
def test_the_catalogue_lists_the_briefs_as_role_plays_without_a_size() -> None:
    entries = catalogue_entries(query=CatalogueQuery(kind=ActivityKind.ROLEPLAY.value))
    assert {e.version.activity.slug for e in entries} == SHIPPED
    forum = next(e for e in entries if e.version.activity.slug == "theatre-forum-le-guichet")
    assert forum.kind_label == "jeu de rôle de co-animation"
    assert (forum.decisions, forum.endings) == (None, None)
    assert [d.code for d in forum.domains] == ["DC2", "DC4", "DC3", "DC1"]
    assert forum.domains[0].title  # titles read from the framework
    assert any(
        e.version.activity.slug == "theatre-forum-le-guichet"
        for e in catalogue_entries(query=CatalogueQuery(text="non-recours"))
    )


# --- staff upload -------------------------------------------------------------------------


@pytest.fixture
def staff_client(client: Client, db: None) -> Client:
    user = get_user_model().objects.create_user(username="admin.jeu", password="x", is_staff=True)
    client.force_login(user)
    return client


def test_staff_check_then_publish_a_brief_through_the_upload_screen(staff_client: Client) -> None:
    upload = lambda: SimpleUploadedFile("jeu.yaml", BASE.encode())  # noqa: E731
    response = staff_client.post("/staff/activites/", {"file": upload(), "action": "check"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fichier valide : essai-jeu (non publié)" in page and "60 min, 2 critères" in page
    assert not Activity.objects.filter(slug="essai-jeu").exists()
    response = staff_client.post("/staff/activites/", {"file": upload()})
    assert "Publié : essai-jeu, version 1" in response.content.decode()
    assert Activity.objects.get(slug="essai-jeu").kind == ActivityKind.ROLEPLAY.value


def test_a_bad_brief_upload_lists_its_problems_with_lines(staff_client: Client) -> None:
    text = BASE.replace("to: mme-a", "to: mme-z")
    response = staff_client.post(
        "/staff/activites/", {"file": SimpleUploadedFile("jeu.yaml", text.encode())}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Ligne {line_of(text, 'to: mme-z')}" in page and "mme-z" in page
