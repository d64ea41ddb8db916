"""Reading and checking a scenario file (format ``atelier-scenario/1``, data/README.md).

Pure: text in, the validated plain-JSON content out (what ``ActivityVersion.content``
stores), or ``ContentInvalid`` listing every problem at once, each with its YAML line and a
French sentence a trainer-author can act on (issue 5, "Content").

The framework is not read here: the caller passes ``framework_lookup``, a function giving
the domain and competence codes of a framework (the publishing service builds it from
``lti_tool.grading.frameworks.selectors``), so this module stays free of the ORM.

Choices made for authors (documented in data/README.md):
* a path never comes back to a node already visited — every cycle is refused, with a
  distinct message when no ending can be reached from it ("boucle sans issue"). This bounds
  the length of an attempt whatever the choices and keeps each decision scored once;
* a declared criterion that no choice scores is an error (it could never be assessed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lti_tool.activities.content_yaml import (
    LANGUAGE,
    SLUG,
    ContentChecker,
    ContentInvalid,
    ContentProblem,
    FrameworkCodes,
    FrameworkLookup,
    Path,
    path_text,
)
from lti_tool.activities.content_yaml import type_name as _type_name
from lti_tool.activities.content_yaml import words as _words

__all__ = [
    "LANGUAGE",
    "ContentInvalid",
    "ContentProblem",
    "FrameworkCodes",
    "FrameworkLookup",
    "path_text",
    "scenario_parse",
    "scenario_validate",
]

FORMAT = "atelier-scenario/1"
SUBJECT = "Le scénario"
SCORE_MAX = 3
CHOICES_MIN = 2
CHOICES_MAX = 4
NODE_KINDS = ("situation", "decision", "ending")
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte")

NODE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
STATE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

TOP_REQUIRED = ("format", "slug", "title", "summary", "languages", "framework", "criteria",
                "context", "start", "nodes")  # fmt: skip
TOP_OPTIONAL = ("training_unit", "estimated_minutes", "review", "state", "readings")
CRITERION_REQUIRED = ("code", "domain", "weight", "label")
CRITERION_OPTIONAL = ("competences",)
NODE_REQUIRED = ("id", "kind", "title", "text")
NODE_OPTIONAL = ("speakers", "next", "choices")
CHOICE_REQUIRED = ("id", "label", "feedback", "next")
CHOICE_OPTIONAL = ("scores", "ethics_flag", "state")


@dataclass
class _Edge:
    source: str
    target: str
    path: Path


@dataclass
class _NodeInfo:
    id: str
    kind: str | None
    index: int
    edges: list[_Edge] = field(default_factory=list)


class _Checker(ContentChecker):
    subject = SUBJECT

    def __init__(self, lines: dict[Path, int], framework_lookup: FrameworkLookup | None) -> None:
        super().__init__(lines, framework_lookup)
        self.criteria: dict[str, Path] = {}
        self.state_names: set[str] = set()
        self.scored: set[str] = set()
        self.nodes: dict[str, _NodeInfo] = {}

    # the document

    def check(self, data: Any) -> None:
        doc = self.mapping(
            data, (), required=TOP_REQUIRED, optional=TOP_OPTIONAL, what="le scénario"
        )
        if doc is None:
            return
        self.check_format(doc, FORMAT)
        if "slug" in doc:
            self.identifier(doc["slug"], ("slug",), "le slug", SLUG,
                            "minuscules, chiffres et tirets, par exemple « premier-groupe-parents »")  # fmt: skip
        self.check_languages(doc.get("languages"))
        for key, what in (
            ("title", "le titre"),
            ("summary", "le résumé"),
            ("context", "le contexte"),
        ):
            if key in doc:
                self.local(doc[key], (key,), what)
        if "readings" in doc:
            readings = doc["readings"]
            if not isinstance(readings, list):
                self.problem(
                    ("readings",),
                    f"readings doit être une liste de références, pas {_type_name(readings)}.",
                )
            else:
                for index, reading in enumerate(readings):
                    self.local(reading, ("readings", index), "une lecture conseillée")
        if "training_unit" in doc:
            self.text(doc["training_unit"], ("training_unit",), "l'unité de formation")
        if "estimated_minutes" in doc:
            self.integer(
                doc["estimated_minutes"],
                ("estimated_minutes",),
                "la durée estimée (minutes)",
                low=1,
                high=600,
            )
        if "review" in doc and not isinstance(doc["review"], bool):
            self.problem(
                ("review",), f"review doit valoir true ou false, pas {_type_name(doc['review'])}."
            )
        codes = self.check_framework(doc.get("framework"))
        self.check_criteria(doc.get("criteria"), codes)
        self.check_state(doc.get("state"))
        self.check_nodes(doc.get("nodes"))
        self.check_graph(doc.get("start"))
        for code, path in self.criteria.items():
            if code not in self.scored:
                self.problem(
                    path,
                    f"le critère {code} est déclaré mais aucun choix ne le note : il ne serait "
                    "jamais évalué. Notez-le dans au moins un choix ou retirez-le.",
                )

    def check_criteria(self, value: Any, codes: FrameworkCodes | None) -> None:
        path: Path = ("criteria",)
        if value is None:
            return
        if not isinstance(value, list) or not value:
            self.problem(
                path, "criteria doit être une liste non vide de critères (GD-LEC, GD-CAD…)."
            )
            return
        for index, item in enumerate(value):
            here = (*path, index)
            criterion = self.mapping(
                item,
                here,
                required=CRITERION_REQUIRED,
                optional=CRITERION_OPTIONAL,
                what="un critère",
            )
            if criterion is None:
                continue
            self.check_criterion_code(criterion, here, self.criteria, "GD-LEC")
            self.check_criterion_domain(criterion, here, codes)
            self.check_weight(criterion, here)
            if "label" in criterion:
                self.local(criterion["label"], (*here, "label"), "le libellé du critère")

    def check_state(self, value: Any) -> None:
        if value is None:
            return
        path: Path = ("state",)
        if not isinstance(value, dict):
            self.problem(
                path,
                f"state doit être un dictionnaire de compteurs entiers, pas {_type_name(value)}.",
            )
            return
        for name, initial in value.items():
            if not STATE_NAME.match(name):
                self.problem(
                    (*path, name), f"nom de variable d'état invalide « {name} » (minuscules et _)."
                )
                continue
            if self.integer(
                initial, (*path, name), f"la valeur initiale de {name}", low=-1000, high=1000
            ):
                self.state_names.add(name)

    def check_nodes(self, value: Any) -> None:
        path: Path = ("nodes",)
        if value is None:
            return
        if not isinstance(value, list) or not value:
            self.problem(path, "nodes doit être une liste non vide de nœuds.")
            return
        for index, item in enumerate(value):
            self.check_node(item, (*path, index), index)

    def check_node(self, item: Any, here: Path, index: int) -> None:
        node = self.mapping(
            item, here, required=NODE_REQUIRED, optional=NODE_OPTIONAL, what="un nœud"
        )
        if node is None:
            return
        node_id: Any = node.get("id")
        info: _NodeInfo | None = None
        if "id" in node and self.identifier(node_id, (*here, "id"), "l'identifiant du nœud", NODE_ID,
                                            "minuscules, chiffres, - et _, par exemple « d1 » ou « accueil »"):  # fmt: skip
            if node_id in self.nodes:
                first = self.nodes[node_id].index
                self.problem(
                    (*here, "id"),
                    f"l'identifiant « {node_id} » est déjà utilisé par un autre nœud "
                    f"(ligne {self.line(('nodes', first, 'id'))}).",
                )
            else:
                info = _NodeInfo(node_id, None, index)
                self.nodes[node_id] = info
        name = f"« {node_id} »" if isinstance(node_id, str) else f"n° {index + 1}"
        kind = node.get("kind")
        if "kind" in node and kind not in NODE_KINDS:
            self.problem(
                (*here, "kind"),
                f"type de nœud « {kind} » inconnu (situation, decision ou ending).",
            )
            kind = None
        if info is not None:
            info.kind = kind
        for key, what in (("title", "le titre du nœud"), ("text", "le texte du nœud")):
            if key in node:
                self.local(node[key], (*here, key), what)
        if "speakers" in node:
            self.check_speakers(node["speakers"], (*here, "speakers"))
        if kind == "situation":
            if "choices" in node:
                self.problem(
                    (*here, "choices"),
                    f"le nœud {name} est une situation : pas de choices (utilisez kind: decision).",
                )
            if "next" not in node:
                self.problem(
                    here,
                    f"impasse : la situation {name} n'a pas de suite (next) et n'est pas une fin.",
                )
            else:
                self.check_next(node["next"], (*here, "next"), info)
        elif kind == "decision":
            if "next" in node:
                self.problem(
                    (*here, "next"),
                    f"le nœud {name} est une décision : la suite se donne dans chaque choix, pas dans next.",
                )
            choices = node.get("choices")
            if choices is None:
                self.problem(here, f"impasse : la décision {name} n'a aucun choix (choices).")
            elif not isinstance(choices, list):
                self.problem(
                    (*here, "choices"), f"choices doit être une liste, pas {_type_name(choices)}."
                )
            else:
                if not CHOICES_MIN <= len(choices) <= CHOICES_MAX:
                    self.problem(
                        (*here, "choices"),
                        f"la décision {name} propose {len(choices)} choix : il en faut de "
                        f"{CHOICES_MIN} à {CHOICES_MAX}.",
                    )
                seen: dict[str, int] = {}
                for position, choice in enumerate(choices):
                    self.check_choice(choice, (*here, "choices", position), info, seen)
        elif kind == "ending":
            for key in ("next", "choices"):
                if key in node:
                    self.problem(
                        (*here, key), f"le nœud {name} est une fin : il n'a ni next ni choices."
                    )

    def check_speakers(self, value: Any, path: Path) -> None:
        if not isinstance(value, list):
            self.problem(path, f"speakers doit être une liste, pas {_type_name(value)}.")
            return
        for index, item in enumerate(value):
            speaker = self.mapping(
                item, (*path, index), required=("name", "line"), what="une réplique"
            )
            if speaker is None:
                continue
            if "name" in speaker:
                self.text(speaker["name"], (*path, index, "name"), "le nom de la personne")
            if "line" in speaker:
                self.local(speaker["line"], (*path, index, "line"), "la réplique")

    def check_choice(
        self, item: Any, here: Path, info: _NodeInfo | None, seen: dict[str, int]
    ) -> None:
        choice = self.mapping(
            item, here, required=CHOICE_REQUIRED, optional=CHOICE_OPTIONAL, what="un choix"
        )
        if choice is None:
            return
        choice_id: Any = choice.get("id")
        if "id" in choice and self.identifier(choice_id, (*here, "id"), "l'identifiant du choix", NODE_ID,
                                              "minuscules, chiffres, - et _, par exemple « a »"):  # fmt: skip
            if choice_id in seen:
                self.problem(
                    (*here, "id"),
                    f"le choix « {choice_id} » existe déjà dans ce nœud (ligne {seen[choice_id]}).",
                )
            else:
                seen[choice_id] = self.line((*here, "id")) or 0
        for key, what in (
            ("label", "l'intitulé du choix"),
            ("feedback", "le retour (feedback) du choix"),
        ):
            if key in choice:
                self.local(choice[key], (*here, key), what)
        scores = choice.get("scores", {})
        if not isinstance(scores, dict):
            self.problem(
                (*here, "scores"),
                f"scores doit être un dictionnaire critère: points, pas {_type_name(scores)}.",
            )
        else:
            for code, points in scores.items():
                spath = (*here, "scores", code)
                if code not in self.criteria:
                    self.problem(spath, f"le critère {code} n'est pas déclaré dans criteria.")
                else:
                    self.scored.add(code)
                self.integer(
                    points, spath, f"le nombre de points du critère {code}", low=0, high=SCORE_MAX
                )
        if "ethics_flag" in choice:
            flag = self.mapping(choice["ethics_flag"], (*here, "ethics_flag"), required=("criterion", "reason"),
                                what="ethics_flag")  # fmt: skip
            if flag is not None:
                flagged: Any = flag.get("criterion")
                code = flagged
                if "criterion" in flag and code not in self.criteria:
                    self.problem(
                        (*here, "ethics_flag", "criterion"),
                        f"le critère {code} n'est pas déclaré dans criteria.",
                    )
                elif "criterion" in flag:
                    self.scored.add(code)
                if "reason" in flag:
                    self.local(
                        flag["reason"],
                        (*here, "ethics_flag", "reason"),
                        "la raison du signalement éthique",
                    )
        if "state" in choice:
            deltas = choice["state"]
            if not isinstance(deltas, dict):
                self.problem(
                    (*here, "state"),
                    f"state doit être un dictionnaire variable: variation, pas {_type_name(deltas)}.",
                )
            else:
                for name, delta in deltas.items():
                    if name not in self.state_names:
                        self.problem(
                            (*here, "state", name),
                            f"la variable d'état « {name} » n'est pas déclarée dans state.",
                        )
                    self.integer(
                        delta, (*here, "state", name), f"la variation de {name}", low=-100, high=100
                    )
        if "next" in choice:
            self.check_next(choice["next"], (*here, "next"), info)

    def check_next(self, value: Any, path: Path, info: _NodeInfo | None) -> None:
        if isinstance(value, str):
            if info is not None:
                info.edges.append(_Edge(info.id, value, path))
            return
        if not isinstance(value, list) or not value:
            self.problem(
                path,
                "next doit être l'identifiant d'un nœud ou une liste [{when: …, node: …}, {node: …}], "
                f"pas {_type_name(value)}.",
            )
            return
        for index, entry in enumerate(value):
            here = (*path, index)
            last = index == len(value) - 1
            branch = self.mapping(
                entry, here, required=("node",), optional=("when",), what="une suite conditionnelle"
            )
            if branch is None:
                continue
            if last and "when" in branch:
                self.problem(
                    (*here, "when"),
                    "la dernière suite conditionnelle ne doit pas avoir de when : c'est la suite par défaut.",
                )
            if not last and "when" not in branch:
                self.problem(
                    here,
                    "seule la dernière suite conditionnelle peut être sans when (les suivantes ne seraient jamais prises).",
                )
            if "when" in branch:
                self.check_when(branch["when"], (*here, "when"))
            target: Any = branch.get("node")
            if (
                "node" in branch
                and self.text(target, (*here, "node"), "le nœud visé")
                and info is not None
            ):
                info.edges.append(_Edge(info.id, target, (*here, "node")))

    def check_when(self, value: Any, path: Path) -> None:
        if not isinstance(value, dict) or not value:
            self.problem(path, "when doit être un dictionnaire, par exemple {conflit: {gte: 2}}.")
            return
        for name, test in value.items():
            if name not in self.state_names:
                self.problem(
                    (*path, name), f"la variable d'état « {name} » n'est pas déclarée dans state."
                )
            if not isinstance(test, dict) or not test:
                self.problem(
                    (*path, name),
                    f"la condition sur {name} doit être du type {{gte: 2}} ({_words(OPERATORS)}).",
                )
                continue
            for operator, operand in test.items():
                if operator not in OPERATORS:
                    self.problem(
                        (*path, name, operator),
                        f"opérateur « {operator} » inconnu ({_words(OPERATORS)}).",
                    )
                self.integer(
                    operand,
                    (*path, name, operator),
                    f"la valeur comparée à {name}",
                    low=-1000,
                    high=1000,
                )

    # the graph

    def check_graph(self, start: Any) -> None:
        if not self.nodes:
            return
        known = self.nodes
        if start is not None and self.text(start, ("start",), "start") and start not in known:
            self.problem(("start",), f"start vise « {start} », qui n'est pas un nœud du scénario.")
        for info in known.values():
            for edge in info.edges:
                if edge.target not in known:
                    self.problem(
                        edge.path,
                        f"le nœud « {info.id} » mène à « {edge.target} », qui n'existe pas.",
                    )
        endings = {node_id for node_id, info in known.items() if info.kind == "ending"}
        if not endings:
            self.problem(("nodes",), "le scénario n'a aucune fin (nœud kind: ending).")
        successors = {
            node_id: [e.target for e in info.edges if e.target in known]
            for node_id, info in known.items()
        }
        if isinstance(start, str) and start in known:
            reached = _reach([start], successors)
            for node_id, info in known.items():
                if node_id not in reached:
                    self.problem(
                        ("nodes", info.index, "id"),
                        f"le nœud « {node_id} » est inatteignable : aucun chemin depuis start ({start}) n'y mène.",
                    )
        predecessors: dict[str, list[str]] = {node_id: [] for node_id in known}
        for node_id, targets in successors.items():
            for target in targets:
                predecessors[target].append(node_id)
        can_end = _reach(list(endings), predecessors)
        components = _strongly_connected(successors)
        trapped: set[str] = set()
        for component in components:
            cyclic = len(component) > 1 or component[0] in successors[component[0]]
            if not cyclic:
                continue
            if not any(node_id in can_end for node_id in component):
                trapped.update(component)
                first = min(component, key=lambda n: known[n].index)
                self.problem(
                    ("nodes", known[first].index, "id"),
                    f"boucle sans issue : depuis « {first} », le parcours tourne entre "
                    f"{_words(sorted(component, key=lambda n: known[n].index))} sans jamais atteindre une fin.",
                )
        inside = {
            node_id: index for index, component in enumerate(components) for node_id in component
        }
        for info in known.values():
            for edge in info.edges:
                if edge.target not in known or edge.source in trapped:
                    continue
                if inside[edge.source] == inside[edge.target]:
                    self.problem(
                        edge.path,
                        f"retour en arrière : « {edge.source} » renvoie à « {edge.target} », qui peut "
                        "déjà avoir été parcouru. Un parcours ne repasse jamais par le même nœud "
                        "(durée bornée, chaque décision notée une fois) : dupliquez le nœud si "
                        "la situation se répète.",
                    )
        for node_id, info in known.items():
            if (
                node_id not in can_end
                and node_id not in trapped
                and info.kind != "ending"
                and info.edges
            ) and all(edge.target in known for edge in info.edges):
                self.problem(
                    ("nodes", info.index, "id"),
                    f"impasse : aucune fin n'est atteignable depuis « {node_id} ».",
                )


def _reach(roots: list[str], graph: dict[str, list[str]]) -> set[str]:
    seen = set(roots)
    todo = list(roots)
    while todo:
        for target in graph.get(todo.pop(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (scenarios are small, but recursion limits are not)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = graph[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


# --- entry points ---------------------------------------------------------------------------


scenario_parse = _Checker.parse
scenario_validate = _Checker.validate
