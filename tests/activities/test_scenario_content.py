"""The scenario validator: one line-precise French message per problem, all at once."""

from __future__ import annotations

import textwrap

import pytest

from lti_tool.activities.scenarios.content import (
    ContentInvalid,
    ContentProblem,
    FrameworkCodes,
    scenario_parse,
    scenario_validate,
)

BASE = textwrap.dedent(
    """\
    format: atelier-scenario/1
    slug: essai
    title: "Essai"
    summary: "Un scénario d'essai."
    languages: [fr]
    framework: {code: DECESF-2018, version: 1}
    estimated_minutes: 15
    criteria:
      - {code: GD-LEC, domain: DC2, competences: [DC2.3], weight: 3, label: "Lecture"}
      - {code: GD-PTN, domain: DC4, competences: [DC4.1], weight: 1, label: "Partenaires"}
    context: "Le contexte."
    state: {tension: 0}
    start: accueil
    nodes:
      - id: accueil
        kind: situation
        title: "Accueil"
        text: "Le groupe arrive."
        next: d1
      - id: d1
        kind: decision
        title: "Première décision"
        text: "Que faites-vous ?"
        choices:
          - id: a
            label: "Choix A"
            feedback: "Retour A"
            scores: {GD-LEC: 3}
            state: {tension: 1}
            next: [{when: {tension: {gte: 1}}, node: fin-tendue}, {node: fin-calme}]
          - id: b
            label: "Choix B"
            feedback: "Retour B"
            scores: {GD-PTN: 2}
            next: fin-calme
      - id: fin-calme
        kind: ending
        title: "Fin calme"
        text: "Tout va bien."
      - id: fin-tendue
        kind: ending
        title: "Fin tendue"
        text: "Le groupe est tendu."
    """
)

FRAMEWORK = FrameworkCodes(
    domains=frozenset({"DC1", "DC2", "DC3", "DC4"}),
    competences=frozenset({"DC1.3A", "DC2.3", "DC2.A2", "DC3.3", "DC4.1", "DC4.4"}),
)


def lookup(code: str, version: int) -> FrameworkCodes | None:
    return FRAMEWORK if (code, version) == ("DECESF-2018", 1) else None


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``marker``."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    return found[occurrence - 1]


def problems_of(text: str) -> list[ContentProblem]:
    with pytest.raises(ContentInvalid) as caught:
        scenario_parse(text, source_name="essai.yaml", framework_lookup=lookup)
    return caught.value.problems


def assert_problem(problems: list[ContentProblem], line: int | None, *fragments: str) -> None:
    for problem in problems:
        if problem.line == line and all(f in problem.message for f in fragments):
            return
    listing = "\n".join(str(p) for p in problems)
    raise AssertionError(f"no problem at line {line} with {fragments!r} in:\n{listing}")


def test_the_base_scenario_is_valid_and_comes_back_as_plain_json() -> None:
    content = scenario_parse(BASE, source_name="essai.yaml", framework_lookup=lookup)
    assert content["slug"] == "essai"
    assert content["nodes"][1]["choices"][0]["next"][1] == {"node": "fin-calme"}


def test_unreadable_yaml_names_the_line() -> None:
    text = BASE.replace('title: "Essai"', 'title: "Essai')
    (problem,) = problems_of(text)
    assert "YAML illisible" in problem.message
    assert problem.line is not None and problem.line >= line_of(text, 'title: "Essai')


def test_a_repeated_key_names_both_lines() -> None:
    text = BASE.replace('title: "Essai"\n', 'title: "Essai"\ntitle: "Encore"\n', 1)
    assert_problem(problems_of(text), 4, "« title » est répétée", "déjà ligne 3")


def test_an_unknown_key_is_refused_with_the_allowed_keys() -> None:
    text = BASE.replace(
        '    text: "Le groupe arrive."\n', '    text: "Le groupe arrive."\n    couleur: bleu\n'
    )
    assert_problem(
        problems_of(text), line_of(text, "couleur"), "clé inconnue « couleur »", "clés possibles"
    )


def test_a_missing_key_is_named() -> None:
    text = BASE.replace('summary: "Un scénario d\'essai."\n', "")
    assert_problem(problems_of(text), 1, "clé obligatoire « summary » manquante")


def test_a_wrong_type_says_what_was_expected_and_found() -> None:
    text = BASE.replace("estimated_minutes: 15", "estimated_minutes: vingt")
    assert_problem(
        problems_of(text), line_of(text, "estimated_minutes"), "nombre entier", "pas un texte"
    )


def test_a_duplicate_node_id_points_to_the_first_one() -> None:
    text = BASE.replace("  - id: fin-tendue", "  - id: fin-calme")
    assert_problem(
        problems_of(text),
        line_of(text, "- id: fin-calme", 2),
        "« fin-calme » est déjà utilisé",
        f"ligne {line_of(text, '- id: fin-calme')}",
    )


def test_an_unknown_start_is_refused() -> None:
    text = BASE.replace("start: accueil", "start: ouverture")
    assert_problem(problems_of(text), line_of(text, "start:"), "start vise « ouverture »")


def test_a_transition_to_an_unknown_node_is_refused_at_its_line() -> None:
    text = BASE.replace("next: fin-calme\n", "next: fin-inconnue\n")
    assert_problem(
        problems_of(text),
        line_of(text, "fin-inconnue"),
        "mène à « fin-inconnue », qui n'existe pas",
    )


def test_an_unreachable_node_is_named() -> None:
    text = BASE + textwrap.indent(
        '- id: orphelin\n  kind: ending\n  title: "Orphelin"\n  text: "Personne ne vient ici."\n',
        "  ",
    )
    assert_problem(
        problems_of(text), line_of(text, "id: orphelin"), "« orphelin » est inatteignable"
    )


def test_a_situation_without_next_is_a_dead_end() -> None:
    text = BASE.replace("    next: d1\n", "")
    assert_problem(problems_of(text), line_of(text, "- id: accueil"), "impasse", "« accueil »")


def test_a_loop_without_exit_is_refused() -> None:
    loop = textwrap.indent(
        textwrap.dedent(
            """\
            - id: tourne
              kind: situation
              title: "Tourne"
              text: "On tourne."
              next: vire
            - id: vire
              kind: situation
              title: "Vire"
              text: "On vire."
              next: tourne
            """
        ),
        "  ",
    )
    text = BASE.replace("next: fin-calme\n", "next: tourne\n") + loop
    assert_problem(
        problems_of(text), line_of(text, "- id: tourne"), "boucle sans issue", "tourne, vire"
    )


def test_a_path_coming_back_to_a_visited_node_is_refused() -> None:
    text = BASE.replace("next: fin-calme\n", "next: accueil\n")
    assert_problem(
        problems_of(text),
        line_of(text, "next: accueil"),
        "retour en arrière",
        "« d1 » renvoie à « accueil »",
    )


def test_a_decision_needs_two_to_four_choices() -> None:
    start = BASE.index("      - id: b")
    end = BASE.index("  - id: fin-calme")
    text = BASE[:start] + BASE[end:]
    assert_problem(problems_of(text), line_of(text, "choices:"), "propose 1 choix", "de 2 à 4")


def test_a_score_outside_zero_to_three_is_refused() -> None:
    text = BASE.replace("scores: {GD-LEC: 3}", "scores: {GD-LEC: 4}")
    assert_problem(problems_of(text), line_of(text, "GD-LEC: 4"), "entre 0 et 3", "valeur lue : 4")


def test_a_score_for_an_undeclared_criterion_is_refused() -> None:
    text = BASE.replace("scores: {GD-PTN: 2}", "scores: {GD-PTN: 2, GD-XYZ: 1}")
    assert_problem(problems_of(text), line_of(text, "GD-XYZ"), "GD-XYZ n'est pas déclaré")


def test_a_criterion_whose_domain_is_not_in_the_framework_is_refused() -> None:
    text = BASE.replace("domain: DC4, competences: [DC4.1]", "domain: BC9, competences: []")
    assert_problem(
        problems_of(text), line_of(text, "BC9"), "domaine BC9 n'existe pas dans le référentiel"
    )


def test_a_competence_of_another_domain_or_unknown_is_refused() -> None:
    text = BASE.replace("competences: [DC2.3]", "competences: [DC4.4, DC2.Z9]")
    problems = problems_of(text)
    line = line_of(text, "DC4.4")
    assert_problem(problems, line, "DC4.4 n'appartient pas au domaine DC2")
    assert_problem(problems, line, "DC2.Z9 n'existe pas dans le référentiel")


def test_an_unknown_framework_is_refused() -> None:
    text = BASE.replace("version: 1}", "version: 7}")
    assert_problem(
        problems_of(text), line_of(text, "framework:"), "DECESF-2018 en version 7 n'est pas chargé"
    )


def test_missing_translations_are_named_per_language() -> None:
    text = BASE.replace("languages: [fr]", "languages: [fr, en]").replace(
        'title: "Essai"', 'title: {fr: "Essai"}'
    )
    problems = problems_of(text)
    assert_problem(
        problems, line_of(text, 'title: {fr: "Essai"}'), "traduction manquante en « en »"
    )
    assert_problem(problems, line_of(text, "summary:"), "doit être traduit dans chaque langue")


def test_a_scenario_without_ending_is_refused() -> None:
    text = BASE.replace("kind: ending", "kind: situation\n    next: accueil")
    assert_problem(problems_of(text), line_of(text, "nodes:"), "aucune fin")


def test_a_declared_criterion_never_scored_is_an_error() -> None:
    text = BASE.replace("scores: {GD-PTN: 2}", "scores: {GD-LEC: 1}")
    assert_problem(
        problems_of(text),
        line_of(text, "code: GD-PTN"),
        "GD-PTN est déclaré mais aucun choix ne le note",
    )


def test_an_undeclared_state_variable_in_a_condition_is_refused() -> None:
    text = BASE.replace("{when: {tension: {gte: 1}}", "{when: {colere: {gte: 1}}")
    assert_problem(problems_of(text), line_of(text, "colere"), "« colere » n'est pas déclarée")


def test_an_ethics_flag_must_name_a_declared_criterion() -> None:
    text = BASE.replace(
        "scores: {GD-PTN: 2}",
        'scores: {GD-PTN: 2}\n        ethics_flag: {criterion: GD-ETH, reason: "Divulgation"}',
    )
    assert_problem(problems_of(text), line_of(text, "ethics_flag"), "GD-ETH n'est pas déclaré")


def test_every_problem_of_a_file_is_reported_at_once_in_line_order() -> None:
    text = (
        BASE.replace("slug: essai", "slug: Essai Majuscules")
        .replace("scores: {GD-LEC: 3}", "scores: {GD-LEC: 9}")
        .replace("next: fin-calme\n", "next: nulle-part\n")
    )
    problems = problems_of(text)
    assert len(problems) >= 3
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)
    with pytest.raises(ContentInvalid) as caught:
        scenario_parse(text, source_name="essai.yaml", framework_lookup=lookup)
    assert "essai.yaml" in caught.value.message
    assert caught.value.status_code == 400


def test_validating_parsed_json_gives_the_same_verdict_without_lines() -> None:
    content = scenario_parse(BASE, source_name="essai.yaml")
    assert scenario_validate(content) == content
    broken = {**content, "start": "ailleurs"}
    with pytest.raises(ContentInvalid) as caught:
        scenario_validate(broken)
    assert any(
        "start vise « ailleurs »" in p.message and p.line is None for p in caught.value.problems
    )


def test_a_document_exploding_through_aliases_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    problems = problems_of("\n".join(lines) + "\n")
    assert any("trop volumineux" in p.message for p in problems)


def test_readings_are_an_optional_list_of_texts() -> None:
    text = BASE.replace("context:", 'readings: ["Tuckman (1965)", 3]\ncontext:')
    assert_problem(
        problems_of(text), line_of(text, "readings:"), "une lecture conseillée doit être un texte"
    )
