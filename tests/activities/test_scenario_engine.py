"""The scenario engine: plays end, evidence becomes per-domain results, shipped scenarios hold."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lti_tool.activities.scenarios.content import scenario_parse, scenario_validate
from lti_tool.activities.scenarios.engine import (
    PlayError,
    Scenario,
    scenario_advance,
    scenario_evidence,
    scenario_flagged,
    scenario_from_json,
    scenario_paths,
    scenario_replay,
    scenario_start,
)
from lti_tool.activities.services import scenario_files
from lti_tool.grading.rules import domain_outcomes

PATH_SAMPLE = 2000
DOMAINS = ("DC1", "DC2", "DC3", "DC4")


# --- random valid graphs ---------------------------------------------------------------------


@st.composite
def scenarios(draw: Any, *, conditions: bool = True) -> dict[str, Any]:
    """A valid scenario: nodes in topological order (edges only go forward, so no cycle),
    the last ones are endings, every node has a parent before it (so it is reachable)."""
    endings = draw(st.integers(1, 3))
    total = draw(st.integers(endings + 1, endings + 7))
    inner = total - endings
    ids = [f"n{i}" for i in range(total)]
    codes = [f"C-{i}" for i in range(draw(st.integers(1, 4)))]
    criteria = [
        {
            "code": code,
            "domain": draw(st.sampled_from(DOMAINS)),
            "weight": draw(st.integers(1, 3)),
            "label": code,
        }
        for code in codes
    ]
    kinds = ["decision"] + [
        draw(st.sampled_from(["situation", "decision"])) for _ in range(1, inner)
    ]
    children: dict[int, list[int]] = {i: [] for i in range(inner)}

    def capacity(i: int) -> int:
        # A decision has 2–4 choices; an unconditional situation has one next.
        return 4 if kinds[i] == "decision" else (total if conditions else 1)

    for j in range(1, total):
        # Node 0 is a decision, so the capacity before j always covers j (no fallback needed).
        candidates = [i for i in range(min(j, inner)) if len(children[i]) < capacity(i)]
        children[draw(st.sampled_from(candidates))].append(j)

    def forward(i: int) -> int:
        return draw(st.integers(i + 1, total - 1))

    def transition(targets: list[int]) -> Any:
        if len(targets) == 1:
            return ids[targets[0]]
        branches: list[dict[str, Any]] = [
            {"when": {"x": {draw(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"])): draw(st.integers(-2, 2))}},
             "node": ids[t]}
            for t in targets[:-1]
        ]  # fmt: skip
        return [*branches, {"node": ids[targets[-1]]}]

    nodes: list[dict[str, Any]] = []
    for i in range(total):
        node: dict[str, Any] = {"id": ids[i], "title": f"Titre {i}", "text": f"Texte {i}"}
        node["kind"] = "ending" if i >= inner else kinds[i]
        if node["kind"] == "situation":
            node["next"] = transition(children[i] or [forward(i)])
        if node["kind"] == "decision":
            targets = list(children[i])
            while len(targets) < 2:
                targets.append(forward(i))
            choices = []
            for position, target in enumerate(targets[:4]):
                scores = {
                    code: draw(st.integers(0, 3))
                    for code in draw(st.lists(st.sampled_from(codes), max_size=3, unique=True))
                }
                choice: dict[str, Any] = {
                    "id": f"c{position}",
                    "label": f"Choix {position}",
                    "feedback": f"Retour {position}",
                    "scores": scores,
                    "state": {"x": draw(st.integers(-1, 1))},
                    "next": ids[target],
                }
                if draw(st.integers(0, 9)) == 0:
                    choice["ethics_flag"] = {
                        "criterion": draw(st.sampled_from(codes)),
                        "reason": "Signalé",
                    }
                choices.append(choice)
            node["choices"] = choices
        nodes.append(node)
    first_choice = nodes[0]["choices"][0]
    for code in codes:  # every declared criterion is scored somewhere
        first_choice["scores"].setdefault(code, draw(st.integers(0, 3)))
    return {
        "format": "atelier-scenario/1",
        "slug": "aleatoire",
        "title": "Aléatoire",
        "summary": "Graphe généré.",
        "languages": ["fr"],
        "framework": {"code": "DECESF-2018", "version": 1},
        "criteria": criteria,
        "context": "Contexte.",
        "state": {"x": 0},
        "start": ids[0],
        "nodes": nodes,
    }


def in_play_domains(scenario: Scenario, decisions: tuple[tuple[str, str], ...]) -> set[str]:
    codes = {code for node_id, _ in decisions for code in scenario.node(node_id).criteria_in_play()}
    return {scenario.criterion(code).domain for code in codes}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=scenarios(), data=st.data())
def test_a_random_valid_graph_validates_and_any_play_ends_at_an_ending_within_its_node_count(
    content: dict[str, Any], data: st.DataObject
) -> None:
    scenario_validate(content)
    scenario = scenario_from_json(content)
    play = scenario_start(scenario)
    decisions: list[tuple[str, str]] = []
    moves = 0
    while not play.finished:
        node = scenario.node(play.node_id)
        choice_id = (
            data.draw(st.sampled_from([c.id for c in node.choices])) if node.is_decision else None
        )
        if choice_id is not None:
            decisions.append((node.id, choice_id))
        play = scenario_advance(scenario, play, choice_id=choice_id).play
        moves += 1
        assert moves < len(scenario.nodes)
    assert scenario.node(play.node_id).is_ending
    assert play.step == moves + 1
    replayed, steps = scenario_replay(scenario, decisions)
    assert replayed.node_id == play.node_id and len(steps) == len(decisions)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=scenarios())
def test_every_complete_path_of_a_random_graph_is_scored_per_domain_in_zero_to_twenty(
    content: dict[str, Any],
) -> None:
    scenario = scenario_from_json(content)
    for path in itertools.islice(scenario_paths(scenario), PATH_SAMPLE):
        assert scenario.node(path.ending).is_ending
        outcomes = domain_outcomes(scenario.criteria, scenario_evidence(scenario, path.decisions))
        assert set(outcomes) == in_play_domains(scenario, path.decisions)
        for outcome in outcomes.values():
            assert Decimal(0) <= outcome.score_20 <= Decimal(20)
            assert outcome.flagged == any(c.flagged for c in outcome.criteria)
        if scenario_flagged(scenario, path.decisions):
            assert any(e.ethics_flag for e in scenario_evidence(scenario, path.decisions))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=scenarios(conditions=False))
def test_without_conditions_every_ending_of_a_random_graph_is_reached_by_some_path(
    content: dict[str, Any],
) -> None:
    scenario = scenario_from_json(content)
    paths = list(itertools.islice(scenario_paths(scenario), PATH_SAMPLE + 1))
    if len(paths) > PATH_SAMPLE:
        return  # too many paths to enumerate here; the other properties still cover it
    assert {p.ending for p in paths} == {n.id for n in scenario.endings}


# --- engine rules ----------------------------------------------------------------------------


def tiny() -> Scenario:
    return scenario_from_json(
        {
            "slug": "mini",
            "languages": ["fr", "en"],
            "title": {"fr": "Mini", "en": "Tiny"},
            "criteria": [
                {"code": "GD-LEC", "domain": "DC2", "weight": 3, "label": "L"},
                {"code": "GD-ETH", "domain": "DC2", "weight": 2, "label": "E"},
                {"code": "GD-PTN", "domain": "DC4", "weight": 1, "label": "P"},
            ],
            "state": {"t": 0},
            "start": "s",
            "nodes": [
                {"id": "s", "kind": "situation", "title": "S", "text": "a\n\nb", "next": "d"},
                {
                    "id": "d",
                    "kind": "decision",
                    "title": {"fr": "Décision", "en": "Decision"},
                    "text": "?",
                    "choices": [
                        {"id": "a", "label": "A", "feedback": {"fr": "bien", "en": "good"},
                         "scores": {"GD-LEC": 3}, "state": {"t": 2},
                         "next": [{"when": {"t": {"gte": 2}}, "node": "f2"}, {"node": "f1"}]},
                        {"id": "b", "label": "B", "feedback": "non", "scores": {"GD-LEC": 2},
                         "ethics_flag": {"criterion": "GD-ETH", "reason": "r"}, "next": "f1"},
                    ],
                },
                {"id": "f1", "kind": "ending", "title": "F1", "text": "."},
                {"id": "f2", "kind": "ending", "title": "F2", "text": "."},
            ],
        },
        language="en",
    )  # fmt: skip


def test_texts_resolve_in_the_requested_language_with_fallback_to_the_default() -> None:
    scenario = tiny()
    assert scenario.title == "Tiny"
    assert scenario.node("d").title == "Decision"
    assert scenario.node("d").choice("b").feedback == "non"
    assert scenario.node("s").paragraphs == ["a", "b"]
    assert scenario.domains() == ["DC2", "DC4"]


def test_a_decision_applies_its_state_before_choosing_the_conditional_next() -> None:
    scenario = tiny()
    play = scenario_advance(scenario, scenario_start(scenario), choice_id=None).play
    moved = scenario_advance(scenario, play, choice_id="a")
    assert moved.play.node_id == "f2" and moved.play.state == {"t": 2} and moved.play.finished
    assert moved.feedback == "good" and moved.play.step == 3


def test_invalid_moves_raise_a_play_error_in_french() -> None:
    scenario = tiny()
    start = scenario_start(scenario)
    with pytest.raises(PlayError, match="n'attend pas de choix"):
        scenario_advance(scenario, start, choice_id="a")
    decision = scenario_advance(scenario, start, choice_id=None).play
    with pytest.raises(PlayError, match="Choisissez"):
        scenario_advance(scenario, decision, choice_id=None)
    with pytest.raises(PlayError, match="n'existe pas"):
        scenario_advance(scenario, decision, choice_id="z")
    end = scenario_advance(scenario, decision, choice_id="b").play
    with pytest.raises(PlayError, match="terminé"):
        scenario_advance(scenario, end, choice_id=None)
    with pytest.raises(PlayError, match="ne suit pas"):
        scenario_replay(scenario, [("f1", "a")])


def test_an_ethics_flag_caps_its_criterion_at_zero_and_puts_it_in_play() -> None:
    scenario = tiny()
    evidence = scenario_evidence(scenario, [("d", "b")])
    by_code = {e.criterion: e for e in evidence}
    assert set(by_code) == {"GD-LEC", "GD-ETH"}  # GD-PTN never in play: no DC4 result
    assert by_code["GD-ETH"].ethics_flag and by_code["GD-ETH"].earned == 0
    assert by_code["GD-LEC"].earned == 2 and by_code["GD-LEC"].maximum == 3
    outcomes = domain_outcomes(scenario.criteria, evidence)
    assert set(outcomes) == {"DC2"} and outcomes["DC2"].flagged
    # The other choice is silent on GD-ETH: it earns 0 there, unflagged.
    clean = {e.criterion: e for e in scenario_evidence(scenario, [("d", "a")])}
    assert clean["GD-ETH"].earned == 0 and not clean["GD-ETH"].ethics_flag


# --- the shipped scenarios -------------------------------------------------------------------

SHIPPED = scenario_files()


def test_four_scenarios_are_shipped() -> None:
    assert len(SHIPPED) >= 4


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_shipped_scenario_is_valid_sized_branching_and_playable_on_every_path(path: Path) -> None:
    content = scenario_parse(path.read_text(encoding="utf-8"), source_name=path.name)
    scenario = scenario_from_json(content)
    assert 8 <= len(scenario.nodes) <= 15
    assert len(scenario.endings) >= 2
    assert len(scenario.domains()) >= 2
    paths = list(scenario_paths(scenario))
    assert {p.ending for p in paths} == {n.id for n in scenario.endings}
    # Real branching: different choices lead to different situations, not one line.
    assert len({p.nodes for p in paths}) >= 3
    assert any(len({c.next for c in n.choices}) >= 2 for n in scenario.nodes.values())
    for complete in paths:
        assert 4 <= len(complete.decisions) <= 7, complete.nodes
        outcomes = domain_outcomes(
            scenario.criteria, scenario_evidence(scenario, complete.decisions)
        )
        assert outcomes and all(Decimal(0) <= o.score_20 <= Decimal(20) for o in outcomes.values())
    for node in scenario.nodes.values():
        for choice in node.choices:
            assert len(choice.feedback) > 120, (node.id, choice.id)
    assert len(scenario.readings) >= 2


def test_at_least_two_shipped_scenarios_carry_an_ethics_flag() -> None:
    flagged = 0
    for path in SHIPPED:
        scenario = scenario_from_json(
            scenario_parse(path.read_text(encoding="utf-8"), source_name=path.name)
        )
        flagged += any(c.ethics_criterion for n in scenario.nodes.values() for c in n.choices)
    assert flagged >= 2
