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
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from lti_tool.core.exceptions import ValidationFailed

FORMAT = "atelier-scenario/1"
SCORE_MAX = 3
CHOICES_MIN = 2
CHOICES_MAX = 4
NODE_KINDS = ("situation", "decision", "ending")
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte")

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
NODE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
CRITERION_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
STATE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
ID_MAX = 100

TOP_REQUIRED = ("format", "slug", "title", "summary", "languages", "framework", "criteria",
                "context", "start", "nodes")  # fmt: skip
TOP_OPTIONAL = ("training_unit", "estimated_minutes", "review", "state", "readings")
CRITERION_REQUIRED = ("code", "domain", "weight", "label")
CRITERION_OPTIONAL = ("competences",)
NODE_REQUIRED = ("id", "kind", "title", "text")
NODE_OPTIONAL = ("speakers", "next", "choices")
CHOICE_REQUIRED = ("id", "label", "feedback", "next")
CHOICE_OPTIONAL = ("scores", "ethics_flag", "state")

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class ContentProblem:
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"ligne {self.line}" if self.line is not None else "contenu"
        if self.path:
            where += f" ({self.path})"
        return f"{where} : {self.message}"


class ContentInvalid(ValidationFailed):
    """A scenario refused by the validator; ``problems`` lists every reason, by line."""

    code = "scenario_invalid"

    def __init__(self, problems: Iterable[ContentProblem], *, source_name: str = "") -> None:
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        self.source_name = source_name
        head = (
            f"Le scénario « {source_name} » n'est pas valide"
            if source_name
            else ("Le scénario n'est pas valide")
        )
        count = len(self.problems)
        head += f" ({count} problème{'s' if count > 1 else ''}) :"
        super().__init__(
            "\n".join([head, *(f"- {p}" for p in self.problems)]),
            extra={
                "source_name": source_name,
                "problems": [
                    {"line": p.line, "path": p.path, "message": p.message} for p in self.problems
                ],
            },
        )


@dataclass(frozen=True)
class FrameworkCodes:
    """The codes of one framework version that a scenario's criteria may name."""

    domains: frozenset[str]
    competences: frozenset[str] = field(default_factory=frozenset)


FrameworkLookup = Callable[[str, int], "FrameworkCodes | None"]


def path_text(path: Path) -> str:
    """``("nodes", 3, "choices", 0, "next")`` → ``nodes[3].choices[0].next``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- YAML with lines ------------------------------------------------------------------------


YAML_VALUES_MAX = 50_000


class _TooLarge(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _YamlReader:
    """Turns a YAML text into plain data, remembering the line of every key and item."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: dict[Path, int] = {}
        self.problems: list[ContentProblem] = []
        self._stack: set[int] = set()
        self._budget = YAML_VALUES_MAX

    def read(self) -> Any:
        loader = yaml.SafeLoader(self.text)
        try:
            root = loader.get_single_node()
            if root is None:
                self.problems.append(ContentProblem(1, "", "le fichier est vide."))
                return None
            return self._plain(loader, root, ())
        except _TooLarge as error:
            self.problems.append(
                ContentProblem(
                    error.line,
                    "",
                    f"document trop volumineux (plus de {YAML_VALUES_MAX} valeurs, alias YAML "
                    "compris) : un scénario en compte quelques centaines.",
                )
            )
            return None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            problem = getattr(error, "problem", None) or str(error)
            self.problems.append(
                ContentProblem(
                    mark.line + 1 if mark is not None else 1,
                    "",
                    f"YAML illisible ({problem}). Vérifiez l'indentation, les deux-points et "
                    "les guillemets autour des textes qui contiennent « : » ou « # ».",
                )
            )
            return None
        finally:
            loader.dispose()

    def _plain(self, loader: yaml.SafeLoader, node: yaml.Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        # Aliases are expanded here: a budget stops "billion laughs" documents.
        self._budget -= 1
        if self._budget < 0:
            raise _TooLarge(node.start_mark.line + 1)
        if id(node) in self._stack:
            self.problems.append(
                ContentProblem(node.start_mark.line + 1, path_text(path),
                               "structure récursive (ancre YAML qui se contient elle-même).")
            )  # fmt: skip
            return None
        if isinstance(node, yaml.MappingNode):
            self._stack.add(id(node))
            result: dict[str, Any] = {}
            key_lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problems.append(
                        ContentProblem(line, path_text(path),
                                       "la fusion YAML « << » n'est pas acceptée : écrivez les clés.")
                    )  # fmt: skip
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(
                        ContentProblem(line, path_text(path), "une clé doit être un simple mot.")
                    )
                    continue
                # The raw text, not YAML 1.1's reading of it: `no:` or `on:` stay words.
                key = str(key_node.value)
                if key in key_lines:
                    self.problems.append(
                        ContentProblem(
                            line,
                            path_text((*path, key)),
                            f"la clé « {key} » est répétée (déjà ligne {key_lines[key]}).",
                        )
                    )
                    continue
                key_lines[key] = line
                self.lines[(*path, key)] = line
                result[key] = self._plain(loader, value_node, (*path, key))
            self._stack.discard(id(node))
            return result
        if isinstance(node, yaml.SequenceNode):
            self._stack.add(id(node))
            items = [
                self._plain(loader, item, (*path, index)) for index, item in enumerate(node.value)
            ]
            self._stack.discard(id(node))
            return items
        return loader.construct_object(node, deep=True)


# --- checking -------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if value is None:
        return "rien"
    if isinstance(value, bool):
        return "un booléen"
    if isinstance(value, int):
        return "un nombre entier"
    if isinstance(value, float):
        return "un nombre décimal"
    if isinstance(value, str):
        return "un texte"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "un dictionnaire (clé: valeur)"
    return f"une valeur de type {type(value).__name__}"


def _words(keys: Iterable[str]) -> str:
    return ", ".join(keys)


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


class _Checker:
    def __init__(self, lines: dict[Path, int], framework_lookup: FrameworkLookup | None) -> None:
        self.lines = lines
        self.framework_lookup = framework_lookup
        self.problems: list[ContentProblem] = []
        self.languages: list[str] = ["fr"]
        self.criteria: dict[str, Path] = {}
        self.state_names: set[str] = set()
        self.scored: set[str] = set()
        self.nodes: dict[str, _NodeInfo] = {}

    # helpers

    def line(self, path: Path) -> int | None:
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(ContentProblem(self.line(path), path_text(path), message))

    def mapping(
        self,
        value: Any,
        path: Path,
        *,
        required: Collection[str],
        optional: Collection[str] = (),
        what: str,
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(
                path, f"{what} doit être un dictionnaire (clé: valeur), pas {_type_name(value)}."
            )
            return None
        allowed = [*required, *optional]
        for key in value:
            if key not in allowed:
                self.problem(
                    (*path, key),
                    f"clé inconnue « {key} » dans {what} (clés possibles : {_words(allowed)}).",
                )
        for key in required:
            if key not in value:
                self.problem(path, f"clé obligatoire « {key} » manquante dans {what}.")
        return value

    def text(self, value: Any, path: Path, what: str) -> bool:
        if not isinstance(value, str):
            self.problem(path, f"{what} doit être un texte, pas {_type_name(value)}.")
            return False
        if not value.strip():
            self.problem(path, f"{what} est vide.")
            return False
        return True

    def local(self, value: Any, path: Path, what: str) -> None:
        """A localisable text: a plain text for a one-language scenario, or one text per
        declared language ``{fr: …, en: …}``."""
        if isinstance(value, dict):
            for language in value:
                if language not in self.languages:
                    self.problem(
                        (*path, language),
                        f"langue « {language} » non déclarée dans languages "
                        f"({_words(self.languages)}) pour {what}.",
                    )
            for language in self.languages:
                if language not in value:
                    self.problem(path, f"traduction manquante en « {language} » pour {what}.")
                else:
                    self.text(value[language], (*path, language), f"{what} ({language})")
            return
        if isinstance(value, str) and len(self.languages) > 1:
            self.problem(
                path,
                f"{what} doit être traduit dans chaque langue déclarée : écrivez "
                + "{"
                + ", ".join(f"{lang}: …" for lang in self.languages)
                + "}.",
            )
            return
        self.text(value, path, what)

    def integer(self, value: Any, path: Path, what: str, *, low: int, high: int) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"{what} doit être un nombre entier, pas {_type_name(value)}.")
            return False
        if not low <= value <= high:
            self.problem(path, f"{what} doit être entre {low} et {high} (valeur lue : {value}).")
            return False
        return True

    def identifier(
        self, value: Any, path: Path, what: str, pattern: re.Pattern[str], hint: str
    ) -> bool:
        if not self.text(value, path, what):
            return False
        if len(value) > ID_MAX or not pattern.match(value):
            self.problem(path, f"{what} « {value} » invalide : {hint}.")
            return False
        return True

    # the document

    def check(self, data: Any) -> None:
        doc = self.mapping(
            data, (), required=TOP_REQUIRED, optional=TOP_OPTIONAL, what="le scénario"
        )
        if doc is None:
            return
        if "format" in doc and doc["format"] != FORMAT:
            self.problem(
                ("format",), f"format « {doc['format']} » inconnu : écrivez « format: {FORMAT} »."
            )
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

    def check_languages(self, value: Any) -> None:
        path: Path = ("languages",)
        if value is None:
            return
        if not isinstance(value, list) or not value:
            self.problem(
                path, "languages doit être une liste non vide de codes de langue, par exemple [fr]."
            )
            return
        languages: list[str] = []
        for index, language in enumerate(value):
            if not isinstance(language, str) or not LANGUAGE.match(language):
                self.problem(
                    (*path, index),
                    f"code de langue invalide « {language} » (deux lettres : fr, en…).",
                )
            elif language in languages:
                self.problem((*path, index), f"la langue « {language} » est déclarée deux fois.")
            else:
                languages.append(language)
        if languages:
            self.languages = languages

    def check_framework(self, value: Any) -> FrameworkCodes | None:
        path: Path = ("framework",)
        if value is None:
            return None
        spec = self.mapping(value, path, required=("code", "version"), what="framework")
        if spec is None or "code" not in spec or "version" not in spec:
            return None
        ok = self.text(spec["code"], (*path, "code"), "le code du référentiel")
        ok = (
            self.integer(
                spec["version"],
                (*path, "version"),
                "la version du référentiel",
                low=1,
                high=10_000,
            )
            and ok
        )
        if not ok or self.framework_lookup is None:
            return None
        codes = self.framework_lookup(spec["code"], spec["version"])
        if codes is None:
            self.problem(
                path,
                f"le référentiel {spec['code']} en version {spec['version']} n'est pas chargé "
                "dans Atelier (voir la page Référentiels).",
            )
        return codes

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
            code: Any = criterion.get("code")
            if "code" in criterion and self.identifier(code, (*here, "code"), "le code du critère", CRITERION_CODE,
                                                       "majuscules, chiffres et tirets, par exemple GD-LEC"):  # fmt: skip
                if code in self.criteria:
                    self.problem(
                        (*here, "code"),
                        f"le critère {code} est déclaré deux fois (déjà ligne {self.line(self.criteria[code])}).",
                    )
                else:
                    self.criteria[code] = (*here, "code")
            domain = criterion.get("domain")
            domain_ok = "domain" in criterion and self.text(domain, (*here, "domain"), "le domaine")
            if domain_ok and codes is not None and domain not in codes.domains:
                self.problem(
                    (*here, "domain"),
                    f"le domaine {domain} n'existe pas dans le référentiel "
                    f"(domaines : {_words(sorted(codes.domains))}).",
                )
            if "weight" in criterion:
                weight = criterion["weight"]
                if (
                    isinstance(weight, bool)
                    or not isinstance(weight, int | float)
                    or not 0 < weight <= 100
                ):
                    self.problem(
                        (*here, "weight"),
                        f"le poids doit être un nombre positif (1, 2, 3…), pas « {weight} ».",
                    )
            if "label" in criterion:
                self.local(criterion["label"], (*here, "label"), "le libellé du critère")
            competences = criterion.get("competences", [])
            if not isinstance(competences, list):
                self.problem(
                    (*here, "competences"),
                    f"competences doit être une liste, pas {_type_name(competences)}.",
                )
                continue
            for position, competence in enumerate(competences):
                cpath = (*here, "competences", position)
                if not self.text(competence, cpath, "une compétence"):
                    continue
                if codes is not None and codes.competences and competence not in codes.competences:
                    self.problem(
                        cpath, f"la compétence {competence} n'existe pas dans le référentiel."
                    )
                elif domain_ok and not competence.startswith(f"{domain}."):
                    self.problem(
                        cpath,
                        f"la compétence {competence} n'appartient pas au domaine {domain} du critère "
                        "(un critère relève d'un seul domaine : domain.md §4.1).",
                    )

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


def scenario_parse(
    text: str, *, source_name: str, framework_lookup: FrameworkLookup | None = None
) -> dict[str, Any]:
    """The validated plain-JSON content of a scenario file, or ``ContentInvalid``."""
    reader = _YamlReader(text)
    data = reader.read()
    if reader.problems and data is None:
        raise ContentInvalid(reader.problems, source_name=source_name)
    checker = _Checker(reader.lines, framework_lookup)
    checker.check(data)
    problems = [*reader.problems, *checker.problems]
    if problems:
        raise ContentInvalid(problems, source_name=source_name)
    if not isinstance(data, dict):  # unreachable: check() reported a non-mapping document
        raise ContentInvalid([ContentProblem(1, "", "le scénario doit être un dictionnaire.")])
    return data


def scenario_validate(
    content: Any, *, source_name: str = "", framework_lookup: FrameworkLookup | None = None
) -> dict[str, Any]:
    """Check already parsed content (e.g. from JSON); problems carry no line numbers."""
    checker = _Checker({}, framework_lookup)
    checker.check(content)
    if checker.problems:
        raise ContentInvalid(checker.problems, source_name=source_name)
    return content
