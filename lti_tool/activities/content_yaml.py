"""What every authored content format shares: YAML read with line numbers, problems
reported all at once with their line, and the checks common to scenarios and role-play
briefs (keys, texts, translations, integers, identifiers, languages, framework, a
criterion's domain and competences).

Pure: no ORM. The framework is read through ``framework_lookup``, built by the publishing
service (``lti_tool.activities.services.framework_lookup``).
"""

from __future__ import annotations

import copy
import functools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import yaml

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.grading.rubric import RubricCriterion
from lti_tool.grading.rules import Criterion

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CRITERION_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
ID_MAX = 100
ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RUBRIC_LEVELS = ("0", "1", "2", "3", "4")  # descriptors of a rubric criterion (domain.md §4.2)
YAML_VALUES_MAX = 50_000

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
    """Content refused by a validator; ``problems`` lists every reason, by line."""

    code = "content_invalid"

    def __init__(
        self,
        problems: Iterable[ContentProblem],
        *,
        source_name: str = "",
        subject: str = "Le contenu",
    ) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        self.source_name = source_name
        head = f"{subject} « {source_name} » n'est pas valide" if source_name else (
            f"{subject} n'est pas valide"
        )  # fmt: skip
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
    """The codes of one framework version that content's criteria may name."""

    domains: frozenset[str]
    competences: frozenset[str] = field(default_factory=frozenset)


FrameworkLookup = Callable[[str, int], "FrameworkCodes | None"]


def path_text(path: Path) -> str:
    """``("nodes", 3, "choices", 0, "next")`` → ``nodes[3].choices[0].next``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def type_name(value: Any) -> str:
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


def local_text(value: Any, language: str, default: str) -> str:
    """A localisable text in ``language``, else in the default language, else any."""
    if isinstance(value, Mapping):
        return str(value.get(language) or value.get(default) or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def criterion_read(item: Mapping[str, Any], text: Callable[[Any], str]) -> Criterion:
    """A validated criterion of any activity kind as the grading law reads it (texts
    through ``text``, the caller's language choice)."""
    return Criterion(
        code=item["code"],
        domain=item["domain"],
        weight=Decimal(str(item["weight"])),
        competences=tuple(item["competences"]),
        label=text(item["label"]),
    )


def rubric_criterion_read(item: Mapping[str, Any], text: Callable[[Any], str]) -> RubricCriterion:
    """A validated rubric criterion: the criterion, its five level descriptors and whether
    it has an automatic part (``auto``)."""
    return RubricCriterion(
        criterion=criterion_read(item, text),
        descriptors=tuple(text(item["levels"][level]) for level in RUBRIC_LEVELS),
        auto=bool(item.get("auto", False)),
    )


def words(keys: Iterable[str]) -> str:
    return ", ".join(keys)


# --- YAML with lines ------------------------------------------------------------------------


class _TooLarge(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class YamlReader:
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
                    "compris) : un scénario ou une fiche de jeu de rôle en compte quelques "
                    "centaines.",
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


@functools.lru_cache(maxsize=64)
def yaml_format(text: str) -> str | None:
    """The ``format:`` of a YAML document, read without validating anything else; None when
    the text is not a readable mapping or has no text ``format``. Cached: a pure function
    of the text, and publishing reads the same shipped files again and again."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    value = data.get("format") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


@functools.lru_cache(maxsize=64)
def _yaml_read(text: str) -> tuple[Any, dict[Path, int], tuple[ContentProblem, ...]]:
    reader = YamlReader(text)
    data = reader.read()
    return data, reader.lines, tuple(reader.problems)


def yaml_read(text: str) -> tuple[Any, dict[Path, int], list[ContentProblem]]:
    """(plain data, line of every key and item, reading problems) of a YAML text.

    Reading is a pure function of the text and the slowest part of publishing (pure-Python
    YAML with line tracking): the result is cached and every caller gets its own copy."""
    data, lines, problems = _yaml_read(text)
    return copy.deepcopy(data), dict(lines), list(problems)


# --- checking -------------------------------------------------------------------------------


class ContentChecker(ABC):
    """Problem collection and the checks every content format uses; a format's checker
    implements ``check(data)`` for its whole document."""

    def __init__(self, lines: dict[Path, int], framework_lookup: FrameworkLookup | None) -> None:
        self.lines = lines
        self.framework_lookup = framework_lookup
        self.problems: list[ContentProblem] = []
        self.languages: list[str] = ["fr"]

    # How problems name the document (« La fiche de jeu de rôle… »); set by each format.
    subject: ClassVar[str] = "Le fichier"

    @classmethod
    def parse(
        cls, text: str, *, source_name: str, framework_lookup: FrameworkLookup | None = None
    ) -> dict[str, Any]:
        """The validated plain-JSON content of a YAML text in this format (what
        ``ActivityVersion.content`` stores), or ``ContentInvalid`` with every problem."""
        return content_parse(
            text,
            make_checker=lambda lines: cls(lines, framework_lookup),
            source_name=source_name,
            subject=cls.subject,
        )

    @classmethod
    def validate(
        cls, content: Any, *, source_name: str = "", framework_lookup: FrameworkLookup | None = None
    ) -> dict[str, Any]:
        """Check already parsed content (e.g. from JSON); problems carry no line numbers."""
        return content_validate(
            content,
            checker=cls({}, framework_lookup),
            source_name=source_name,
            subject=cls.subject,
        )

    @abstractmethod
    def check(self, data: Any) -> None:
        """Record every problem of the document ``data`` in ``self.problems``."""

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
                path, f"{what} doit être un dictionnaire (clé: valeur), pas {type_name(value)}."
            )
            return None
        allowed = [*required, *optional]
        for key in value:
            if key not in allowed:
                self.problem(
                    (*path, key),
                    f"clé inconnue « {key} » dans {what} (clés possibles : {words(allowed)}).",
                )
        for key in required:
            if key not in value:
                self.problem(path, f"clé obligatoire « {key} » manquante dans {what}.")
        return value

    def text(self, value: Any, path: Path, what: str) -> bool:
        if not isinstance(value, str):
            self.problem(path, f"{what} doit être un texte, pas {type_name(value)}.")
            return False
        if not value.strip():
            self.problem(path, f"{what} est vide.")
            return False
        return True

    def local(self, value: Any, path: Path, what: str) -> None:
        """A localisable text: a plain text for one-language content, or one text per
        declared language ``{fr: …, en: …}``."""
        if isinstance(value, dict):
            for language in value:
                if language not in self.languages:
                    self.problem(
                        (*path, language),
                        f"langue « {language} » non déclarée dans languages "
                        f"({words(self.languages)}) pour {what}.",
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
            self.problem(path, f"{what} doit être un nombre entier, pas {type_name(value)}.")
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

    # --- lists of items with ids, and rubric levels (role-play briefs, DPA cases…) ---

    item_id_pattern = ITEM_ID
    item_id_hint = "minuscules, chiffres, - et _, par exemple « mme-kaci » ou « cadre »"

    def items(self, value: Any, path: Path, what: str, *, low: int, high: int) -> list[Any]:
        """A list of ``low``..``high`` items (its items, or [] when it is not a list)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"{path[-1]} doit être une liste de {what}, pas {type_name(value)}.")
            return []
        if not low <= len(value) <= high:
            wanted = f"{low}" if low == high else f"de {low} à {high}"
            self.problem(path, f"{len(value)} {what} : il en faut {wanted}.")
        return value

    def item_id(self, item: dict[str, Any], here: Path, what: str, seen: dict[str, Path]) -> None:
        """The item's ``id``: well formed and not used before (``seen`` records it)."""
        value: Any = item.get("id")
        if "id" not in item or not self.identifier(
            value, (*here, "id"), what, self.item_id_pattern, self.item_id_hint
        ):
            return
        if value in seen:
            self.problem(
                (*here, "id"),
                f"l'identifiant « {value} » est déjà utilisé (ligne {self.line(seen[value])}).",
            )
        else:
            seen[value] = (*here, "id")

    def check_levels(self, value: Any, path: Path, code: str | None) -> None:
        """A rubric criterion's five level descriptors ``{0: …, …, 4: …}`` (domain.md §4.2)."""
        name = code or "ce critère"
        if not isinstance(value, dict):
            self.problem(
                path,
                f"levels doit donner un descripteur par niveau (0: …, 1: …, 2: …, 3: …, 4: …), "
                f"pas {type_name(value)}.",
            )
            return
        for level in value:
            if str(level) not in RUBRIC_LEVELS:
                self.problem((*path, str(level)), f"niveau « {level} » inconnu (de 0 à 4).")
        for level in RUBRIC_LEVELS:
            if level not in {str(key) for key in value}:
                self.problem(path, f"descripteur du niveau {level} manquant pour {name}.")
        for key, descriptor in value.items():
            if str(key) in RUBRIC_LEVELS:
                self.local(
                    descriptor, (*path, str(key)), f"le descripteur du niveau {key} de {name}"
                )

    def check_format(self, doc: dict[str, Any], expected: str) -> None:
        if "format" in doc and doc["format"] != expected:
            self.problem(
                ("format",), f"format « {doc['format']} » inconnu : écrivez « format: {expected} »."
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

    def check_criterion_code(
        self, criterion: dict[str, Any], here: Path, known: dict[str, Path], example: str
    ) -> str | None:
        """The criterion's code if well formed and new (``known`` records it), else None."""
        code: Any = criterion.get("code")
        if "code" not in criterion or not self.identifier(
            code, (*here, "code"), "le code du critère", CRITERION_CODE,
            f"majuscules, chiffres et tirets, par exemple {example}",
        ):  # fmt: skip
            return None
        if code in known:
            self.problem(
                (*here, "code"),
                f"le critère {code} est déclaré deux fois (déjà ligne {self.line(known[code])}).",
            )
            return None
        known[code] = (*here, "code")
        return str(code)

    def check_criterion_domain(
        self, criterion: dict[str, Any], here: Path, codes: FrameworkCodes | None
    ) -> None:
        """One criterion → one domain of the framework; its competences belong to that
        domain (domain.md §4.1)."""
        domain = criterion.get("domain")
        domain_ok = "domain" in criterion and self.text(domain, (*here, "domain"), "le domaine")
        if domain_ok and codes is not None and domain not in codes.domains:
            self.problem(
                (*here, "domain"),
                f"le domaine {domain} n'existe pas dans le référentiel "
                f"(domaines : {words(sorted(codes.domains))}).",
            )
        competences = criterion.get("competences", [])
        if not isinstance(competences, list):
            self.problem(
                (*here, "competences"),
                f"competences doit être une liste, pas {type_name(competences)}.",
            )
            return
        for position, competence in enumerate(competences):
            cpath = (*here, "competences", position)
            if not self.text(competence, cpath, "une compétence"):
                continue
            if codes is not None and codes.competences and competence not in codes.competences:
                self.problem(cpath, f"la compétence {competence} n'existe pas dans le référentiel.")
            elif domain_ok and not competence.startswith(f"{domain}."):
                self.problem(
                    cpath,
                    f"la compétence {competence} n'appartient pas au domaine {domain} du critère "
                    "(un critère relève d'un seul domaine : domain.md §4.1).",
                )

    def check_weight(self, criterion: dict[str, Any], here: Path) -> None:
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
                )  # fmt: skip


def content_parse(
    text: str,
    *,
    make_checker: Callable[[dict[Path, int]], ContentChecker],
    source_name: str,
    subject: str,
) -> dict[str, Any]:
    """The validated plain mapping of a YAML text, or ``ContentInvalid`` listing the
    reader's and the checker's problems together, by line."""
    data, lines, read_problems = yaml_read(text)
    if read_problems and data is None:
        raise ContentInvalid(read_problems, source_name=source_name, subject=subject)
    checker = make_checker(lines)
    checker.check(data)
    problems = [*read_problems, *checker.problems]
    if problems:
        raise ContentInvalid(problems, source_name=source_name, subject=subject)
    if not isinstance(data, dict):  # unreachable: check() reported a non-mapping document
        raise ContentInvalid(
            [ContentProblem(1, "", "le document doit être un dictionnaire (clé: valeur).")],
            source_name=source_name,
            subject=subject,
        )
    return data


def content_validate(
    content: Any, *, checker: ContentChecker, source_name: str, subject: str
) -> dict[str, Any]:
    """Check already parsed content (e.g. from JSON); problems carry no line numbers."""
    checker.check(content)
    if checker.problems:
        raise ContentInvalid(checker.problems, source_name=source_name, subject=subject)
    return content
