"""Frameworks are versioned data: DECESF-2018 ships complete, loads idempotently, and a new
version (the 2025 blocs) needs a file, not code (domain.md §0.4, §9)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps as global_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lti_tool.core.exceptions import NotFound
from lti_tool.grading.frameworks.constants import SOCLE_COMMON
from lti_tool.grading.frameworks.models import Competence, Domain, Framework, Indicator
from lti_tool.grading.frameworks.schema import FrameworkDataError
from lti_tool.grading.frameworks.selectors import (
    competence_get,
    competence_in_domain,
    domain_get,
    framework_domains,
    framework_get,
)
from lti_tool.grading.frameworks.services import framework_files, frameworks_load
from tests.grading.frameworks_fixtures import reform_yaml, write_yaml

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return (
        Framework.objects.count(),
        Domain.objects.count(),
        Competence.objects.count(),
        Indicator.objects.count(),
    )


def test_loading_twice_changes_nothing(decesf: Framework) -> None:
    before = counts()
    stamps = sorted(Competence.objects.values_list("code", "updated_at"))
    report = frameworks_load()
    assert not report.changed
    assert report.unchanged["competence"] == 35
    assert counts() == before
    assert sorted(Competence.objects.values_list("code", "updated_at")) == stamps


def test_decesf_2018_ships_four_domains_with_their_competences_and_indicators(
    decesf: Framework,
) -> None:
    domains = framework_domains(framework=decesf)
    assert [domain.code for domain in domains] == ["DC1", "DC2", "DC3", "DC4"]
    assert {domain.kind for domain in domains} == {"DC"}
    assert decesf.competences.count() == 35
    assert decesf.indicators.count() == 57
    assert domain_get(framework=decesf, code="DC2").title_fr == "Intervention sociale"
    assert domain_get(framework=decesf, code="DC4").title_fr == (
        "Dynamiques interinstitutionnelles, partenariats et réseaux"
    )
    assert domain_get(framework=decesf, code="DC2").rncp_blocs == ["RNCP34826BC03", "RNCP34826BC04"]


@pytest.mark.parametrize(
    ("code", "domain", "rncp", "label", "bts"),
    [
        ("DC1.3B", "DC1", "C1.3B", "Conseiller les personnes", False),
        ("DC1.7", "DC1", "C1.7", "Gérer le budget d'une action", True),
        ("DC2.A3", "DC2", "C2.A3", "Impulser, conduire des actions collectives d'animation, de formation, de conseil et d'information auprès des groupes dans les domaines de la vie quotidienne", False),
        ("DC2.D2", "DC2", "C2.D2", "Impulser et accompagner une dynamique d'équipe projet", False),
        ("DC3.1", "DC3", "C3.1", "Élaborer une stratégie de communication à destination de différents publics", True),
        ("DC3.4", "DC3", "C3.4", "Appréhender et mobiliser l'environnement numérique", False),
        ("DC4.7", "DC4", "C4.7", "Participer à l'élaboration de documents contractuels avec les partenaires", True),
        ("DC4.9", "DC4", "C4.9", "Assurer une veille sur les politiques publiques", False),
    ],
)  # fmt: skip
def test_official_competences_keep_their_rncp_code_label_and_bts_flag(
    decesf: Framework, code: str, domain: str, rncp: str, label: str, bts: bool
) -> None:
    competence = competence_get(framework=decesf, code=code)
    assert competence.domain.code == domain
    assert competence.rncp_code == rncp
    assert competence.label_fr == label
    assert competence.bts_validated is bts
    assert competence.official is True


def test_dc3_title_is_flagged_uncertain_with_the_reason(decesf: Framework) -> None:
    dc3 = domain_get(framework=decesf, code="DC3")
    assert dc3.title_uncertain is True
    assert "annexe I" in dc3.uncertainty_note
    assert "Communication professionnelle en travail social" in dc3.uncertainty_note
    others = framework_domains(framework=decesf).exclude(code="DC3")
    assert not others.filter(title_uncertain=True).exists()


def test_indicators_are_ours_and_sit_under_their_competence(decesf: Framework) -> None:
    indicator = Indicator.objects.get(framework=decesf, code="DC2.A3.3")
    assert indicator.competence.code == "DC2.A3"
    assert indicator.label_fr == "Répartit la parole équitablement, sollicite sans contraindre"
    assert not decesf.indicators.filter(official=True).exists()
    assert not Indicator.objects.filter(framework=decesf, competence__code="DC1.4").exists()


def test_socle_tags_mark_common_dc3_dc4_and_shared_dc1_dc2_competences(decesf: Framework) -> None:
    for competence in decesf.competences.filter(domain__code__in=["DC3", "DC4"]):
        assert SOCLE_COMMON in competence.socle, competence.code
    for competence in decesf.competences.filter(domain__code__in=["DC1", "DC2"]):
        assert SOCLE_COMMON not in competence.socle, competence.code
    assert competence_get(framework=decesf, code="DC2.A3").socle == ["SP-1", "SP-5", "SP-7"]
    assert competence_get(framework=decesf, code="DC2.3").socle == ["SP-2", "SP-3"]
    assert competence_get(framework=decesf, code="DC1.3B").socle == ["SP-9"]


def test_a_second_framework_and_version_load_without_code_change(
    decesf: Framework, tmp_path: Path
) -> None:
    first = write_yaml(tmp_path, "decesf-test-v1.yaml", reform_yaml(version=1))
    second = write_yaml(
        tmp_path, "decesf-test-v2.yaml", reform_yaml(version=2, bc1_title="Nouveau titre")
    )
    frameworks_load(paths=[first, second])

    latest = framework_get(code="DECESF-TEST")
    assert latest.version == 2
    assert framework_get(code="DECESF-TEST", version=1).version == 1
    assert domain_get(framework=latest, code="BC1").title_fr == "Nouveau titre"
    assert domain_get(framework=latest, code="BC1").kind == "BC"
    assert competence_get(framework=latest, code="BC2.1").domain.code == "BC2"
    # Versions are separate objects: the same code exists once per version.
    assert Competence.objects.filter(code="BC1.1").count() == 2
    # DECESF-2018 is untouched.
    assert framework_get(code="DECESF-2018").competences.count() == 35


def test_changing_a_label_updates_it_in_place(db: None, tmp_path: Path) -> None:
    frameworks_load(paths=[write_yaml(tmp_path, "v1.yaml", reform_yaml())])
    bc1 = domain_get(framework=framework_get(code="DECESF-TEST"), code="BC1")
    report = frameworks_load(
        paths=[write_yaml(tmp_path, "v1.yaml", reform_yaml(bc1_title="Titre corrigé"))]
    )
    assert report.updated["domain"] == 1
    assert sum(report.created.values()) == 0
    bc1.refresh_from_db()
    assert bc1.title_fr == "Titre corrigé"


def test_removing_a_shipped_code_is_refused_and_writes_nothing(db: None, tmp_path: Path) -> None:
    frameworks_load(paths=[write_yaml(tmp_path, "v1.yaml", reform_yaml())])
    without_bc2 = reform_yaml(bc1_title="Titre changé").split("    - code: BC2")[0]
    path = write_yaml(tmp_path, "v1.yaml", without_bc2)
    with pytest.raises(FrameworkDataError) as caught:
        frameworks_load(paths=[path])
    assert "BC2, BC2.1" in caught.value.message
    assert "nouvelle version" in caught.value.message
    framework = framework_get(code="DECESF-TEST")
    assert domain_get(framework=framework, code="BC1").title_fr != "Titre changé"


def test_a_domain_kind_must_match_its_code_so_a_bloc_cannot_turn_into_a_dc(
    db: None, tmp_path: Path
) -> None:
    frameworks_load(paths=[write_yaml(tmp_path, "v1.yaml", reform_yaml())])
    changed = reform_yaml().replace(
        "code: BC2\n          kind: BC", "code: BC2\n          kind: DC"
    )
    with pytest.raises(FrameworkDataError) as caught:
        frameworks_load(paths=[write_yaml(tmp_path, "v1.yaml", changed)])
    assert (
        "v1.yaml, ligne 16 : domaine BC2 : un domaine de type DC a un code qui commence par DC"
        in (caught.value.message)
    )
    assert domain_get(framework=framework_get(code="DECESF-TEST"), code="BC2").kind == "BC"


def test_framework_get_names_what_is_missing_in_french(db: None) -> None:
    with pytest.raises(NotFound, match="« DECESF-2099 » n'existe pas"):
        framework_get(code="DECESF-2099")
    with pytest.raises(NotFound, match="n'existe pas en version 9"):
        framework_get(code="DECESF-2018", version=9)


def test_domain_and_competence_get_refuse_unknown_codes(decesf: Framework) -> None:
    with pytest.raises(NotFound, match="domaine « DC9 »"):
        domain_get(framework=decesf, code="DC9")
    with pytest.raises(NotFound, match=r"compétence « DC2\.Z9 »"):
        competence_get(framework=decesf, code="DC2.Z9")


def test_competence_in_domain_reads_the_code_prefix() -> None:
    assert competence_in_domain("DC2.A3", "DC2")
    assert competence_in_domain("BC1.4", "BC1")
    assert not competence_in_domain("DC2.A3", "DC1")
    assert not competence_in_domain("DC10.1", "DC1")
    assert not competence_in_domain("DC2.A3", "")


def test_the_command_loads_a_given_file_and_reports_no_change_the_second_time(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_yaml(tmp_path, "reform.yaml", reform_yaml())
    call_command("frameworks_load", "--path", str(path))
    assert "DECESF-TEST v1" in capsys.readouterr().out
    call_command("frameworks_load", "--path", str(path))
    assert "Aucun changement." in capsys.readouterr().out


def test_the_command_reports_file_errors_without_a_traceback(db: None, tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path, "bad.yaml", reform_yaml().replace('title_fr: "Deuxième bloc"', "titre: x")
    )
    with pytest.raises(
        CommandError, match=r"bad\.yaml, ligne 18 : domaine BC2 : clé inconnue « titre »"
    ):
        call_command("frameworks_load", "--path", str(path))


def test_the_data_migration_loads_decesf_2018_on_its_historical_models(db: None) -> None:
    Indicator.objects.all().delete()
    Competence.objects.all().delete()
    Domain.objects.all().delete()
    Framework.objects.all().delete()
    migration = importlib.import_module(
        "lti_tool.grading.frameworks.migrations.0002_load_decesf_2018"
    )
    state = MigrationExecutor(connection).loader.project_state(
        ("frameworks", "0002_load_decesf_2018"), at_end=True
    )
    migration.load_decesf_2018(state.apps, None)
    assert counts() == (1, 4, 35, 57)
    assert global_apps.get_model("frameworks", "Domain").objects.get(code="DC3").title_uncertain


def test_every_yaml_file_dropped_in_the_data_directory_is_picked_up(tmp_path: Path) -> None:
    write_yaml(tmp_path, "decesf-2025.yaml", reform_yaml())
    write_yaml(tmp_path, "README.md", "# not a framework")
    assert [path.name for path in framework_files(directory=tmp_path)] == ["decesf-2025.yaml"]
    assert "decesf-2018.yaml" in [path.name for path in framework_files()]
