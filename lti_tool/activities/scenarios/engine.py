"""Playing a validated scenario: pure functions on frozen data (domain.md §5.1, §4.2).

The content is what ``content.scenario_parse`` returned (``ActivityVersion.content``);
``scenario_from_json`` resolves its texts for one language. A play is a ``PlayState``
(node, narrative state, step); ``scenario_advance`` moves it one node forward. The grading
evidence of a path comes from ``scenario_evidence``: at each decision node visited, every
criterion "in play" (scored by any of the node's choices, or named by one of its ethics
flags) gets ``earned`` out of 3, so the normalisation only depends on the nodes actually
visited (domain.md §4.2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lti_tool.activities.content_yaml import local_text as _text
from lti_tool.grading import rules
from lti_tool.grading.rules import Criterion, Evidence

SCORE_MAX = 3


class PlayError(ValueError):
    """An impossible move (unknown choice, advancing past an ending…); French message."""


@dataclass(frozen=True)
class Speaker:
    name: str
    line: str


@dataclass(frozen=True)
class Branch:
    """One entry of a conditional ``next``: taken when every test holds (no test = default)."""

    node: str
    when: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    feedback: str
    scores: dict[str, int]
    ethics_criterion: str | None
    ethics_reason: str
    state: dict[str, int]
    next: tuple[Branch, ...]


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # "situation" | "decision" | "ending"
    title: str
    text: str
    speakers: tuple[Speaker, ...] = ()
    choices: tuple[Choice, ...] = ()
    next: tuple[Branch, ...] = ()

    @property
    def is_decision(self) -> bool:
        return self.kind == "decision"

    @property
    def is_ending(self) -> bool:
        return self.kind == "ending"

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]

    def choice(self, choice_id: str) -> Choice:
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        raise PlayError(f"Le choix « {choice_id} » n'existe pas à l'étape « {self.title} ».")

    def criteria_in_play(self) -> list[str]:
        """Criteria any choice of this node scores or flags, in first-appearance order."""
        codes: dict[str, None] = {}
        for choice in self.choices:
            codes.update(dict.fromkeys(choice.scores))
            if choice.ethics_criterion:
                codes[choice.ethics_criterion] = None
        return list(codes)


@dataclass(frozen=True)
class Scenario:
    slug: str
    title: str
    summary: str
    languages: tuple[str, ...]
    training_unit: str
    framework_code: str
    framework_version: int
    estimated_minutes: int | None
    review: bool
    criteria: tuple[Criterion, ...]
    context: str
    initial_state: dict[str, int]
    start: str
    nodes: dict[str, Node] = field(default_factory=dict)
    language: str = "fr"
    # Suggested readings for the debrief screen (domain.md §5.1), optional.
    readings: tuple[str, ...] = ()

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise PlayError(f"L'étape « {node_id} » n'existe pas dans ce scénario.") from None

    def domains(self) -> list[str]:
        """Domains assessed, in the order of first appearance in the criteria."""
        return list(dict.fromkeys(c.domain for c in self.criteria))

    def criterion(self, code: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise PlayError(f"Critère inconnu : {code}.")

    @property
    def endings(self) -> list[Node]:
        return [node for node in self.nodes.values() if node.is_ending]


@dataclass(frozen=True)
class PlayState:
    """Where a play stands. ``step`` starts at 1 and grows by one at every move (situation
    or decision), so it numbers the nodes of the path in order."""

    node_id: str
    state: dict[str, int]
    step: int
    finished: bool


@dataclass(frozen=True)
class Transition:
    play: PlayState
    choice: Choice | None
    feedback: str


# --- reading content ------------------------------------------------------------------------


def _branches(value: Any) -> tuple[Branch, ...]:
    if isinstance(value, str):
        return (Branch(node=value),)
    branches = []
    for entry in value or []:
        tests = tuple(
            (name, operator, int(operand))
            for name, test in (entry.get("when") or {}).items()
            for operator, operand in test.items()
        )
        branches.append(Branch(node=entry["node"], when=tests))
    return tuple(branches)


def scenario_from_json(content: Mapping[str, Any], *, language: str = "fr") -> Scenario:
    """A playable scenario from validated content, texts in ``language`` when the scenario
    has it, else in its default (first) language."""
    languages = tuple(content.get("languages") or ("fr",))
    default = languages[0]
    lang = language if language in languages else default

    def t(value: Any) -> str:
        return _text(value, lang, default)

    criteria = tuple(
        Criterion(
            code=item["code"],
            domain=item["domain"],
            weight=Decimal(str(item.get("weight", 1))),
            competences=tuple(item.get("competences") or ()),
            label=t(item.get("label")),
        )
        for item in content.get("criteria", [])
    )
    nodes: dict[str, Node] = {}
    for item in content.get("nodes", []):
        choices = tuple(
            Choice(
                id=choice["id"],
                label=t(choice.get("label")),
                feedback=t(choice.get("feedback")),
                scores={code: int(points) for code, points in (choice.get("scores") or {}).items()},
                ethics_criterion=(choice.get("ethics_flag") or {}).get("criterion"),
                ethics_reason=t((choice.get("ethics_flag") or {}).get("reason")),
                state={name: int(delta) for name, delta in (choice.get("state") or {}).items()},
                next=_branches(choice.get("next")),
            )
            for choice in item.get("choices") or []
        )
        nodes[item["id"]] = Node(
            id=item["id"],
            kind=item["kind"],
            title=t(item.get("title")),
            text=t(item.get("text")),
            speakers=tuple(
                Speaker(name=str(s.get("name", "")), line=t(s.get("line")))
                for s in item.get("speakers") or []
            ),
            choices=choices,
            next=_branches(item.get("next")),
        )
    framework = content.get("framework") or {}
    return Scenario(
        slug=content["slug"],
        title=t(content.get("title")),
        summary=t(content.get("summary")),
        languages=languages,
        training_unit=str(content.get("training_unit") or ""),
        framework_code=str(framework.get("code", "")),
        framework_version=int(framework.get("version", 1)),
        estimated_minutes=content.get("estimated_minutes"),
        review=bool(content.get("review", False)),
        criteria=criteria,
        context=t(content.get("context")),
        readings=tuple(t(reading) for reading in content.get("readings") or ()),
        initial_state={name: int(value) for name, value in (content.get("state") or {}).items()},
        start=content["start"],
        nodes=nodes,
        language=lang,
    )


# --- playing --------------------------------------------------------------------------------


def _holds(operator: str, value: int, operand: int) -> bool:
    return {
        "eq": value == operand,
        "ne": value != operand,
        "lt": value < operand,
        "lte": value <= operand,
        "gt": value > operand,
        "gte": value >= operand,
    }[operator]


def branch_target(branches: Sequence[Branch], state: Mapping[str, int]) -> str:
    """The first branch whose tests all hold on ``state`` (the last one is the default)."""
    for branch in branches:
        if all(_holds(op, state.get(name, 0), operand) for name, op, operand in branch.when):
            return branch.node
    raise PlayError("Aucune suite possible depuis cette étape : le scénario est incomplet.")


def _enter(scenario: Scenario, node_id: str, state: dict[str, int], step: int) -> PlayState:
    node = scenario.node(node_id)
    return PlayState(node_id=node_id, state=state, step=step, finished=node.is_ending)


def scenario_start(scenario: Scenario) -> PlayState:
    return _enter(scenario, scenario.start, dict(scenario.initial_state), 1)


def scenario_advance(scenario: Scenario, play: PlayState, *, choice_id: str | None) -> Transition:
    """One move: a situation goes on to its next node (no choice); a decision needs a choice,
    applies its state deltas, then evaluates its ``next`` on the new state."""
    node = scenario.node(play.node_id)
    if play.finished or node.is_ending:
        raise PlayError("Le scénario est terminé : il n'y a plus de choix à faire.")
    if not node.is_decision:
        if choice_id is not None:
            raise PlayError(
                f"L'étape « {node.title} » se lit seulement : elle n'attend pas de choix."
            )
        target = branch_target(node.next, play.state)
        return Transition(_enter(scenario, target, dict(play.state), play.step + 1), None, "")
    if choice_id is None:
        raise PlayError(f"Choisissez une réponse à l'étape « {node.title} » pour continuer.")
    choice = node.choice(choice_id)
    state = dict(play.state)
    for name, delta in choice.state.items():
        state[name] = state.get(name, 0) + delta
    target = branch_target(choice.next, state)
    return Transition(_enter(scenario, target, state, play.step + 1), choice, choice.feedback)


@dataclass(frozen=True)
class PathStep:
    """One decision of a path, for the debrief screen."""

    node: Node
    choice: Choice
    state_after: dict[str, int]


def scenario_replay(
    scenario: Scenario, decisions: Sequence[tuple[str, str]]
) -> tuple[PlayState, list[PathStep]]:
    """Replays recorded decisions ``(node_id, choice_id)`` from the start, passing through
    situations; raises ``PlayError`` if they do not follow each other. The returned play
    stands at the next decision or at the ending."""
    play = scenario_start(scenario)
    steps: list[PathStep] = []
    for node_id, choice_id in decisions:
        while not play.finished and not scenario.node(play.node_id).is_decision:
            play = scenario_advance(scenario, play, choice_id=None).play
        if play.node_id != node_id:
            raise PlayError(
                f"La décision enregistrée à l'étape « {node_id} » ne suit pas le parcours "
                f"(étape attendue : « {play.node_id} »)."
            )
        moved = scenario_advance(scenario, play, choice_id=choice_id)
        choice = scenario.node(node_id).choice(choice_id)
        steps.append(PathStep(scenario.node(node_id), choice, dict(moved.play.state)))
        play = moved.play
    # Where the play now stands: past any situations, at the next decision or an ending.
    while not play.finished and not scenario.node(play.node_id).is_decision:
        play = scenario_advance(scenario, play, choice_id=None).play
    return play, steps


def scenario_path_feedback(
    scenario: Scenario, decisions: Sequence[tuple[str, str]]
) -> list[PathStep]:
    """The decisions of a path with their nodes, choices and feedback (debrief helper)."""
    return scenario_replay(scenario, decisions)[1]


def scenario_evidence(scenario: Scenario, decisions: Sequence[tuple[str, str]]) -> list[Evidence]:
    """One ``Evidence(criterion, earned, 3, ethics_flag)`` per (decision visited, criterion in
    play there). A choice silent on an in-play criterion earns 0 for it; an ethics flag caps
    its criterion at 0 for that node (domain.md §4.2, "Red flags")."""
    evidence: list[Evidence] = []
    for node_id, choice_id in decisions:
        node = scenario.node(node_id)
        if not node.is_decision:
            raise PlayError(f"L'étape « {node_id} » n'est pas une décision.")
        choice = node.choice(choice_id)
        for code in node.criteria_in_play():
            flagged = choice.ethics_criterion == code
            earned = 0 if flagged else min(choice.scores.get(code, 0), SCORE_MAX)
            evidence.append(
                Evidence(
                    criterion=code,
                    earned=Decimal(earned),
                    maximum=Decimal(SCORE_MAX),
                    ethics_flag=flagged,
                    note=f"{node_id}:{choice_id}",
                )
            )
    return evidence


def scenario_outcomes(
    scenario: Scenario, decisions: Sequence[tuple[str, str]]
) -> dict[str, rules.DomainOutcome]:
    """Per-domain results of a path through the grading rules (one per assessed domain)."""
    return rules.domain_outcomes(scenario.criteria, scenario_evidence(scenario, decisions))


def scenario_flagged(scenario: Scenario, decisions: Sequence[tuple[str, str]]) -> bool:
    """True when a choice of the path carries an ethics flag (→ trainer review)."""
    return any(
        scenario.node(node_id).choice(choice_id).ethics_criterion
        for node_id, choice_id in decisions
    )


@dataclass(frozen=True)
class CompletePath:
    decisions: tuple[tuple[str, str], ...]
    nodes: tuple[str, ...]
    ending: str
    state: dict[str, int]


def scenario_paths(scenario: Scenario, *, limit: int = 100_000) -> Iterator[CompletePath]:
    """Every complete path (each combination of choices, state included), depth first.

    Validated scenarios have no cycle, so this ends; ``limit`` bounds the count anyway.
    """
    count = 0
    todo: list[tuple[PlayState, tuple[tuple[str, str], ...], tuple[str, ...]]] = [
        (scenario_start(scenario), (), (scenario.start,))
    ]
    while todo:
        play, decisions, nodes = todo.pop()
        if play.finished:
            count += 1
            if count > limit:
                raise PlayError(f"Plus de {limit} parcours : scénario trop ramifié.")
            yield CompletePath(decisions, nodes, play.node_id, play.state)
            continue
        node = scenario.node(play.node_id)
        if len(nodes) > len(scenario.nodes) + 1:
            raise PlayError("Parcours plus long que le nombre d'étapes : le scénario boucle.")
        if node.is_decision:
            for choice in reversed(node.choices):
                moved = scenario_advance(scenario, play, choice_id=choice.id).play
                todo.append((moved, (*decisions, (node.id, choice.id)), (*nodes, moved.node_id)))
        else:
            moved = scenario_advance(scenario, play, choice_id=None).play
            todo.append((moved, decisions, (*nodes, moved.node_id)))
