"""DPA cases (format ``atelier-dpa/1``): the validator (one line-precise French message per
problem, all at once), the tagging score, the shipped cases and their publication."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lti_tool.activities.content_yaml import ContentInvalid
from lti_tool.activities.dpa.case import dpa_from_json, tagging_score
from lti_tool.activities.dpa.content import dpa_parse, dpa_validate
from lti_tool.activities.models import ActivityVersion
from lti_tool.activities.services import (
    activities_load,
    content_kind,
    dpa_files,
    framework_lookup,
    shipped_files,
)
from lti_tool.grading.rules import ActivityKind
from tests.activities.test_scenario_content import line_of, lookup

BASE = textwrap.dedent(
    """\
    format: atelier-dpa/1
    slug: essai-dpa
    title: "Essai de cas"
    summary: "Un cas d'essai."
    languages: [fr]
    framework: {code: DECESF-2018, version: 1}
    case_type: individual
    alpha: 0.2
    professional: "Une CESF fictive."
    situation: "Mme A vient pour un impayé."
    initial_plan:
      - {id: fsl, measure: "Dossier FSL."}
      - {id: colis, measure: "Colis alimentaires."}
    tags:
      - {id: manques, label: "Lecture centrée sur les manques"}
      - {id: impose, label: "Solutions imposées"}
      - id: refuser
        label: "Il fallait refuser le FSL"
        why: "Faux : l'aide est légitime."
    key: [manques, impose]
    distractors: [refuser]
    critique: {prompt: "Qu'est-ce qui vous frappe ?", max_words: 100}
    improve:
      - {id: acteur, axis: 1, label: "Acteur en contexte", guidance: "Décrivez.", max_words: 100}
      - {id: enjeux, axis: 2, label: "Ce qui compte", guidance: "Reformulez.", max_words: 100}
      - {id: contextes, axis: 3, label: "Contextes", guidance: "Leviers.", max_words: 100}
      - {id: conscience, axis: 4, label: "Conscientisation", guidance: "Relire.", max_words: 100}
    self_critique: {prompt: "Limites ?", max_words: 100}
    alternative_plan:
      intro: "Une piste possible."
      steps: ["Reformuler avec elle.", "Un premier pas négocié."]
    reflection: {prompt: "Dix lignes.", max_words: 150}
    criteria:
      - code: DPA-CRIT
        domain: DC2
        competences: [DC2.A2]
        weight: 2
        auto: true
        label: "Repère les failles"
        levels: {0: "Aucune", 1: "Une", 2: "Plusieurs", 3: "L'essentiel", 4: "Toutes, argumentées"}
      - code: DPA-ECR
        domain: DC4
        competences: [DC4.4]
        weight: 1
        label: "Écrit"
        levels:
          0: "Confus"
          1: "Peu structuré"
          2: "Structuré"
          3: "Clair"
          4: "Précis"
    """
)
SHIPPED = {"dpa-mme-morel", "dpa-m-girard", "dpa-batiment-c"}
DPA_CODES = ["DPA-CRIT", "DPA-ACT", "DPA-NEG", "DPA-CTX", "DPA-CONS", "DPA-RES", "DPA-DISP",
             "DPA-REFL", "DPA-ECR", "DPA-PTN"]  # fmt: skip


def problems_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ContentInvalid) as caught:
        dpa_parse(text, source_name="essai.yaml", framework_lookup=lookup)
    return [(p.line, p.message) for p in caught.value.problems]


def has(problems: list[tuple[int | None, str]], line: int, fragment: str) -> bool:
    return any(at == line and fragment in message for at, message in problems)


# --- the validator ------------------------------------------------------------------------


def test_the_base_case_is_valid_and_reads_back_with_its_key_and_rubric() -> None:
    content = dpa_parse(BASE, source_name="essai.yaml", framework_lookup=lookup)
    case = dpa_from_json(content)
    assert case.key == ("manques", "impose")
    assert case.domains() == ["DC2", "DC4"]
    assert case.auto_criterion.code == "DPA-CRIT"
    assert case.alpha == Decimal("0.2")
    assert [item.auto for item in case.rubric().criteria] == [True, False]
    assert case.criteria[1].descriptors == (
        "Confus",
        "Peu structuré",
        "Structuré",
        "Clair",
        "Précis",
    )
    assert case.tags[2].why == "Faux : l'aide est légitime." and not case.tags[2].expected
    assert dpa_validate(content, framework_lookup=lookup) == content


def test_unknown_and_missing_keys_are_named_with_their_line() -> None:
    text = BASE.replace("case_type: individual", "type_de_cas: individual")
    found = problems_of(text)
    assert has(found, line_of(text, "type_de_cas"), "clé inconnue « type_de_cas »")
    assert has(found, 1, "clé obligatoire « case_type » manquante")


def test_a_wrong_format_and_a_bad_slug_are_refused() -> None:
    text = BASE.replace("atelier-dpa/1", "atelier-dpa/2").replace("essai-dpa", "Essai DPA")
    found = problems_of(text)
    assert has(found, 1, "format « atelier-dpa/2 » inconnu")
    assert has(found, line_of(text, "slug:"), "le slug « Essai DPA » invalide")


def test_an_unknown_case_type_is_refused() -> None:
    text = BASE.replace("case_type: individual", "case_type: family")
    assert has(problems_of(text), line_of(text, "case_type"), "type de cas « family » inconnu")


def test_alpha_must_stay_between_0_and_half() -> None:
    text = BASE.replace("alpha: 0.2", "alpha: 0.7")
    assert has(problems_of(text), line_of(text, "alpha:"), "entre 0 et 0.5")


def test_a_key_naming_an_undeclared_tag_is_refused() -> None:
    text = BASE.replace("key: [manques, impose]", "key: [manques, jugement]")
    found = problems_of(text)
    assert has(found, line_of(text, "key:"), "le tag « jugement » n'est pas déclaré dans tags")
    # "impose" is now neither expected nor a distractor: the author must classify it.
    assert has(found, line_of(text, "id: impose"), "ni dans key (attendu) ni dans distractors")


def test_a_tag_both_expected_and_distractor_is_refused() -> None:
    text = BASE.replace("distractors: [refuser]", "distractors: [refuser, impose]")
    assert has(problems_of(text), line_of(text, "distractors:"), "à la fois attendu (key)")


def test_an_empty_key_is_refused() -> None:
    text = BASE.replace("key: [manques, impose]", "key: []")
    assert has(problems_of(text), line_of(text, "key:"), "liste non vide d'identifiants")


def test_a_duplicate_tag_id_points_to_the_first_one() -> None:
    text = BASE.replace("{id: impose,", "{id: manques,")
    found = problems_of(text)
    assert has(
        found,
        line_of(text, "id: manques", 2),
        f"déjà utilisé (ligne {line_of(text, 'id: manques')})",
    )


def test_every_axis_of_le_bosse_needs_a_field() -> None:
    text = BASE.replace("{id: conscience, axis: 4,", "{id: conscience, axis: 3,")
    assert has(problems_of(text), line_of(text, "improve:"), "aucun champ pour l'axe 4 du DPA")


def test_an_axis_outside_1_to_4_and_a_word_limit_out_of_range_are_refused() -> None:
    text = BASE.replace("axis: 1,", "axis: 5,").replace(
        'guidance: "Reformulez.", max_words: 100', 'guidance: "Reformulez.", max_words: 5'
    )
    found = problems_of(text)
    assert has(found, line_of(text, "axis: 5"), "l'axe du DPA (1 à 4) doit être entre 1 et 4")
    assert has(found, line_of(text, "max_words: 5"), "la limite de mots doit être entre 20 et 1000")


def test_a_prompt_without_its_word_limit_is_refused() -> None:
    text = BASE.replace(
        'self_critique: {prompt: "Limites ?", max_words: 100}',
        'self_critique: {prompt: "Limites ?"}',
    )
    found = problems_of(text)
    assert has(
        found,
        line_of(text, "self_critique:"),
        "clé obligatoire « max_words » manquante dans l'autocritique",
    )


def test_an_alternative_plan_needs_at_least_two_steps() -> None:
    text = BASE.replace(
        'steps: ["Reformuler avec elle.", "Un premier pas négocié."]', 'steps: ["Seul."]'
    )
    assert has(problems_of(text), line_of(text, "steps:"), "1 étapes : il en faut de 2 à 15")


def test_a_plan_of_one_measure_is_refused() -> None:
    text = BASE.replace('  - {id: colis, measure: "Colis alimentaires."}\n', "")
    assert has(
        problems_of(text), line_of(text, "initial_plan:"), "1 mesures : il en faut de 2 à 12"
    )


def test_exactly_one_criterion_carries_the_automatic_part() -> None:
    text = BASE.replace("    auto: true\n", "")
    assert has(
        problems_of(text),
        line_of(text, "criteria:"),
        "exactement un critère doit porter auto: true",
    )
    twice = BASE.replace("    weight: 1\n", "    weight: 1\n    auto: true\n")
    assert has(problems_of(twice), line_of(twice, "criteria:"), "lus : DPA-CRIT, DPA-ECR")
    wrong = BASE.replace("auto: true", "auto: oui")
    assert has(problems_of(wrong), line_of(wrong, "auto: oui"), "auto s'écrit true ou false")


def test_criteria_codes_outside_dpa_or_the_framework_are_refused() -> None:
    text = BASE.replace("code: DPA-ECR", "code: CA-ECR").replace("domain: DC4", "domain: DC9")
    found = problems_of(text)
    assert has(found, line_of(text, "code: CA-ECR"), "le code CA-ECR doit commencer par DPA-")
    assert has(found, line_of(text, "domain: DC9"), "le domaine DC9 n'existe pas")


def test_a_criterion_citing_a_competence_of_another_domain_is_refused() -> None:
    text = BASE.replace("competences: [DC2.A2]", "competences: [DC4.4]")
    assert has(problems_of(text), line_of(text, "[DC4.4]"), "n'appartient pas au domaine DC2")


def test_a_missing_level_descriptor_is_named_by_level_and_criterion() -> None:
    text = BASE.replace('      4: "Précis"\n', "")
    levels_line = line_of(text, '0: "Confus"') - 1
    assert has(problems_of(text), levels_line, "descripteur du niveau 4 manquant pour DPA-ECR")


def test_a_declared_language_without_its_translation_is_refused() -> None:
    text = BASE.replace("languages: [fr]", "languages: [fr, en]")
    assert has(problems_of(text), line_of(text, "summary:"), "doit être traduit dans chaque langue")


def test_unreadable_yaml_gives_its_line() -> None:
    text = BASE.replace('title: "Essai de cas"', 'title: "Essai de cas')
    found = problems_of(text)
    assert any("YAML illisible" in message for _line, message in found)


def test_every_problem_is_reported_at_once() -> None:
    text = (
        BASE.replace("case_type: individual", "case_type: family")
        .replace("alpha: 0.2", "alpha: 2")
        .replace("distractors: [refuser]", "distractors: [refuser, impose]")
    )
    assert len(problems_of(text)) >= 3


# --- the tagging score --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (set(), Decimal(0)),
        ({"a", "b", "c", "d", "e", "f"}, Decimal(1)),
        ({"a", "b", "c"}, Decimal("0.5")),
        ({"a", "b", "c", "x"}, Decimal("2.5") / 6),  # one wrong tag costs half a hit
        ({"a", "x", "y", "z"}, Decimal(0)),  # never below 0
        ({"a", "b", "c", "d", "e", "f", "x", "y"}, Decimal(5) / 6),  # ticking all costs
    ],
)
def test_tagging_score_counts_hits_minus_half_the_wrong_tags(
    chosen: set[str], expected: Decimal
) -> None:
    assert tagging_score(chosen, ["a", "b", "c", "d", "e", "f"]) == expected


@given(
    key=st.sets(st.sampled_from("abcdefghij"), min_size=1),
    chosen=st.sets(st.sampled_from("abcdefghijklmnop")),
)
def test_tagging_score_stays_between_0_and_1_and_is_1_only_for_the_exact_key(
    key: set[str], chosen: set[str]
) -> None:
    score = tagging_score(chosen, key)
    assert Decimal(0) <= score <= Decimal(1)
    assert (score == 1) == (chosen == key)


def test_a_key_cannot_be_empty() -> None:
    with pytest.raises(ValueError, match="vide"):
        tagging_score({"a"}, [])


# --- the shipped cases --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_three_shipped_cases_are_valid_fictional_and_use_the_dpa_criteria() -> None:
    cases = [
        dpa_from_json(
            dpa_parse(
                path.read_text(encoding="utf-8"),
                source_name=path.name,
                framework_lookup=framework_lookup(),
            )
        )
        for path in dpa_files()
    ]
    assert {case.slug for case in cases} == SHIPPED
    assert sorted(case.case_type for case in cases) == ["collective", "individual", "individual"]
    for case in cases:
        assert [c.code for c in case.criteria if c.code != "DPA-BUD"] == DPA_CODES
        assert case.auto_criterion.code == "DPA-CRIT" and case.alpha == Decimal("0.2")
        assert {field.axis for field in case.improve} == {1, 2, 3, 4}
        assert len(case.situation.split()) > 200  # about a page
        assert any(not tag.expected for tag in case.tags)
    morel = next(case for case in cases if case.slug == "dpa-mme-morel")
    assert len(morel.key) == 6 and "refuser-fsl" not in morel.key


@pytest.mark.django_db
def test_the_shipped_cases_are_published_by_migration_and_reload_idempotently() -> None:
    versions = ActivityVersion.objects.filter(activity__kind=ActivityKind.DPA.value)
    assert {v.activity.slug for v in versions} == SHIPPED
    assert all(v.domains == ["DC2", "DC1", "DC3", "DC4"] for v in versions)
    again = activities_load(paths=dpa_files())
    assert {v.pk for v in again} == {v.pk for v in versions}
    assert set(dpa_files()) <= set(shipped_files())


def test_the_format_key_says_a_file_is_a_dpa_case() -> None:
    assert content_kind(BASE) == ActivityKind.DPA


def test_a_tag_cited_twice_in_the_key_is_refused() -> None:
    text = BASE.replace("key: [manques, impose]", "key: [manques, impose, manques]")
    assert has(problems_of(text), line_of(text, "key:"), "le tag « manques » est cité deux fois")


def test_ids_with_capitals_or_spaces_are_refused_with_an_example() -> None:
    text = BASE.replace("{id: colis,", "{id: Colis Alim,")
    assert has(problems_of(text), line_of(text, "Colis Alim"), "« Colis Alim » invalide")


def test_an_estimated_duration_out_of_range_is_refused() -> None:
    text = BASE.replace("alpha: 0.2", "alpha: 0.2\nestimated_minutes: 5")
    assert has(problems_of(text), line_of(text, "estimated_minutes"), "entre 15 et 600")


def test_an_unknown_level_is_refused() -> None:
    text = BASE.replace('      4: "Précis"\n', '      4: "Précis"\n      5: "Au-delà"\n')
    assert has(problems_of(text), line_of(text, '5: "Au-delà"'), "niveau « 5 » inconnu")


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    assert has(problems_of("- une liste\n"), 1, "le cas DPA doit être un dictionnaire")
