"""A framework file with mistakes is refused with every error, its line and a readable reason."""

from __future__ import annotations

import textwrap

import pytest

from lti_tool.grading.frameworks.constants import DATA_DIR
from lti_tool.grading.frameworks.schema import FrameworkDataError, framework_parse


def errors_of(text: str) -> list[str]:
    with pytest.raises(FrameworkDataError) as caught:
        framework_parse(textwrap.dedent(text).lstrip("\n"), source="test.yaml")
    return caught.value.errors


VALID = """
framework:
  code: DECESF-TEST
  version: 1
  title_fr: "Test"
  domains:
    - code: BC1
      kind: BC
      title_fr: "Bloc un"
      competences:
        - code: BC1.1
          label_fr: "Compétence"
          socle: [SP-1]
          indicators:
            - {code: BC1.1.1, label_fr: "Indicateur"}
"""


def test_a_valid_file_parses_into_specs_with_defaults() -> None:
    spec = framework_parse(textwrap.dedent(VALID), source="test.yaml")
    competence = spec.domains[0].competences[0]
    assert (spec.code, spec.version, spec.status) == ("DECESF-TEST", 1, "active")
    assert competence.official is True
    assert competence.socle == ("SP-1",)
    assert competence.indicators[0].official is False
    assert list(spec.all_codes()) == [
        ("domain", "BC1"),
        ("competence", "BC1.1"),
        ("indicator", "BC1.1.1"),
    ]


def test_the_shipped_decesf_2018_file_is_valid() -> None:
    spec = framework_parse(
        (DATA_DIR / "decesf-2018.yaml").read_text(encoding="utf-8"), source="decesf-2018.yaml"
    )
    assert [domain.code for domain in spec.domains] == ["DC1", "DC2", "DC3", "DC4"]


def test_an_unknown_key_is_named_with_its_line_and_the_allowed_keys() -> None:
    errors = errors_of(
        VALID.replace('label_fr: "Compétence"', 'label_fr: "Compétence"\n          labl_en: "typo"')
    )
    assert len(errors) == 1
    assert errors[0].startswith("test.yaml, ligne 12 : compétence BC1.1 : clé inconnue « labl_en »")
    assert "label_en" in errors[0]


def test_a_duplicate_code_points_at_both_lines() -> None:
    text = VALID + '        - code: BC1.1\n          label_fr: "Encore"\n'
    errors = errors_of(text)
    assert errors == [
        "test.yaml, ligne 15 : le code « BC1.1 » est déjà utilisé ligne 10 ; "
        "chaque code est unique dans une version de référentiel."
    ]


def test_a_competence_code_must_start_with_its_domain_code() -> None:
    errors = errors_of(
        VALID.replace("- code: BC1.1\n", "- code: BC2.1\n").replace("BC1.1.1", "BC2.1.1")
    )
    assert errors == [
        "test.yaml, ligne 10 : le code « BC2.1 » doit commencer par « BC1. », le code de "
        "l'élément qui le contient (compétence BC2.1)."
    ]


def test_an_indicator_code_must_start_with_its_competence_code() -> None:
    errors = errors_of(VALID.replace("BC1.1.1", "BC1.2.1"))
    assert len(errors) == 1
    assert errors[0].startswith(
        "test.yaml, ligne 14 : le code « BC1.2.1 » doit commencer par « BC1.1. »"
    )


def test_all_errors_of_a_file_are_reported_at_once() -> None:
    text = (
        VALID.replace("version: 1", "version: un")
        .replace("kind: BC", "kind: XX")
        .replace("[SP-1]", "[sp 1]")
    )
    errors = errors_of(text)
    assert [error.split(" : ")[0] for error in errors] == [
        "test.yaml, ligne 3",
        "test.yaml, ligne 7",
        "test.yaml, ligne 12",
    ]
    assert "« version » doit être un entier positif" in errors[0]
    assert (
        "« kind » vaut DC (domaine de compétences) ou BC (bloc de compétences), pas « XX »"
        in errors[1]
    )
    assert "« sp 1 » n'est pas une étiquette valide" in errors[2]


def test_a_repeated_key_is_refused_instead_of_silently_overwritten() -> None:
    errors = errors_of(
        VALID.replace('title_fr: "Bloc un"', 'title_fr: "Bloc un"\n      title_fr: "Autre"')
    )
    assert errors == ["test.yaml, ligne 9 : la clé « title_fr » est répétée (déjà ligne 8)."]


def test_broken_yaml_syntax_gives_the_line() -> None:
    errors = errors_of(VALID.replace('label_fr: "Indicateur"}', 'label_fr: "Indicateur"'))
    assert len(errors) == 1
    assert errors[0].startswith("test.yaml, ligne ")
    assert "YAML illisible" in errors[0]


def test_missing_required_keys_are_listed() -> None:
    errors = errors_of(VALID.replace('  title_fr: "Test"\n', ""))
    assert errors == ["test.yaml, ligne 2 : référentiel : la clé « title_fr » est obligatoire."]


def test_an_uncertain_title_must_say_why() -> None:
    errors = errors_of(
        VALID.replace('title_fr: "Bloc un"', 'title_fr: "Bloc un"\n      title_uncertain: true')
    )
    assert errors == [
        "test.yaml, ligne 6 : domaine BC1 : un intitulé incertain (title_uncertain: true) doit "
        "dire pourquoi dans « uncertainty_note »."
    ]


def test_a_file_without_the_framework_key_is_explained() -> None:
    errors = errors_of("domains: []\n")
    assert errors[0] == (
        "test.yaml, ligne 1 : le fichier : clé inconnue « domains » (clés permises : framework)."
    )
