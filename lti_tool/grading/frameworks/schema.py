"""Reading and checking a framework file (pure: text in, frozen specs or errors out).

The format is documented in data/README.md. Every error names the file and the line, in
words a data author can act on; all errors of a file are reported at once.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.grading.frameworks import constants

FRAMEWORK_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
DOMAIN_CODE = re.compile(r"^(DC|BC)[0-9]+$")
CODE_SUFFIX = re.compile(r"^[A-Z0-9]+$")
TAG = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")

FRAMEWORK_KEYS = {
    "code", "version", "title_fr", "title_en", "valid_from", "valid_until",
    "valid_from_date", "valid_until_date", "status", "sources", "domains",
}  # fmt: skip
DOMAIN_KEYS = {
    "code", "kind", "title_fr", "title_en", "short_title_fr", "hours", "ects",
    "rncp_blocs", "title_uncertain", "uncertainty_note", "competences",
}  # fmt: skip
COMPETENCE_KEYS = {
    "code", "rncp_code", "label_fr", "label_en", "bts_validated", "socle", "official",
    "note", "indicators",
}  # fmt: skip
INDICATOR_KEYS = {"code", "label_fr", "label_en", "official"}


class FrameworkDataError(ValidationFailed):
    """A framework file (or the database) refuses the load; ``errors`` lists every reason."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        message = _("Le référentiel n'a pas été chargé :") + "\n" + "\n".join(errors)
        super().__init__(message, extra={"errors": errors}, code="framework_invalid")


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    label_fr: str
    label_en: str
    official: bool
    order: int
    line: int


@dataclass(frozen=True)
class CompetenceSpec:
    code: str
    rncp_code: str
    label_fr: str
    label_en: str
    bts_validated: bool
    socle: tuple[str, ...]
    official: bool
    note: str
    order: int
    indicators: tuple[IndicatorSpec, ...]
    line: int


@dataclass(frozen=True)
class DomainSpec:
    code: str
    kind: str
    title_fr: str
    title_en: str
    short_title_fr: str
    hours: int | None
    ects: int | None
    rncp_blocs: tuple[str, ...]
    title_uncertain: bool
    uncertainty_note: str
    order: int
    competences: tuple[CompetenceSpec, ...]
    line: int


@dataclass(frozen=True)
class FrameworkSpec:
    code: str
    version: int
    title_fr: str
    title_en: str
    valid_from: str
    valid_until: str
    valid_from_date: datetime.date | None
    valid_until_date: datetime.date | None
    status: str
    sources: tuple[str, ...]
    domains: tuple[DomainSpec, ...]
    source: str

    def all_codes(self) -> Iterator[tuple[str, str]]:
        """(level, code) for every domain, competence and indicator, in file order."""
        for domain in self.domains:
            yield "domain", domain.code
            for competence in domain.competences:
                yield "competence", competence.code
                for indicator in competence.indicators:
                    yield "indicator", indicator.code


# --- YAML with line numbers ---------------------------------------------------------------


class _Map(dict[Any, Any]):
    line: int = 0
    key_lines: dict[Any, int]


class _Seq(list[Any]):
    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and lists remember their lines and refuse duplicate keys."""

    duplicates: list[tuple[int, Any, int]]


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[_Map]:
    data = _Map()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in data.key_lines:
            loader.duplicates.append((line, key, data.key_lines[key]))
        data.key_lines[key] = line
        data[key] = loader.construct_object(value_node, deep=False)


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> Iterator[_Seq]:
    data = _Seq()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=False) for item in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _yaml_load(text: str, *, source: str) -> Any:
    loader = _LineLoader(text)
    loader.duplicates = []
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise FrameworkDataError(
            [_("%(source)s, ligne %(line)d : YAML illisible (%(problem)s).")
             % {"source": source, "line": line, "problem": problem}]
        ) from error  # fmt: skip
    finally:
        loader.dispose()
    if loader.duplicates:
        raise FrameworkDataError(
            [
                _(
                    "%(source)s, ligne %(line)d : la clé « %(key)s » est répétée (déjà ligne %(first)d)."
                )
                % {"source": source, "line": line, "key": key, "first": first}
                for line, key, first in loader.duplicates
            ]
        )
    return document


# --- checking -----------------------------------------------------------------------------


class _Checker:
    """Collects line-precise errors while reading one file."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[str] = []
        self.code_lines: dict[str, int] = {}

    def error(self, line: int, message: str) -> None:
        self.errors.append(
            _("%(source)s, ligne %(line)d : %(message)s")
            % {"source": self.source, "line": line, "message": message}
        )

    def mapping(self, value: Any, line: int, where: str) -> _Map | None:
        if isinstance(value, _Map):
            return value
        self.error(
            line,
            _("%(where)s : une liste de clés « nom: valeur » est attendue.") % {"where": where},
        )
        return None

    def keys(self, data: _Map, allowed: set[str], required: tuple[str, ...], where: str) -> None:
        for key, line in data.key_lines.items():
            if key not in allowed:
                self.error(
                    line,
                    _("%(where)s : clé inconnue « %(key)s » (clés permises : %(allowed)s).")
                    % {"where": where, "key": key, "allowed": ", ".join(sorted(allowed))},
                )
        for key in required:
            if data.get(key) in (None, ""):
                self.error(
                    data.line,
                    _("%(where)s : la clé « %(key)s » est obligatoire.")
                    % {"where": where, "key": key},
                )

    def line_of(self, data: _Map, key: str) -> int:
        return data.key_lines.get(key, data.line)

    def text(self, data: _Map, key: str, where: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool | _Map | _Seq):
            self.error(
                self.line_of(data, key),
                _("%(where)s : « %(key)s » doit être un texte.") % {"where": where, "key": key},
            )
            return ""
        return str(value).strip()

    def boolean(self, data: _Map, key: str, where: str, *, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(
                self.line_of(data, key),
                _("%(where)s : « %(key)s » doit valoir true ou false.")
                % {"where": where, "key": key},
            )
            return default
        return value

    def number(self, data: _Map, key: str, where: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.error(
                self.line_of(data, key),
                _("%(where)s : « %(key)s » doit être un entier positif ou null.")
                % {"where": where, "key": key},
            )
            return None
        return value

    def date(self, data: _Map, key: str, where: str) -> datetime.date | None:
        value = data.get(key)
        if value is None or (
            isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
        ):
            return value
        self.error(
            self.line_of(data, key),
            _("%(where)s : « %(key)s » doit être une date AAAA-MM-JJ.")
            % {"where": where, "key": key},
        )
        return None

    def texts(
        self, data: _Map, key: str, where: str, *, pattern: re.Pattern[str] | None = None
    ) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, _Seq):
            self.error(
                self.line_of(data, key),
                _("%(where)s : « %(key)s » doit être une liste, par exemple [A, B].")
                % {"where": where, "key": key},
            )
            return ()
        items: list[str] = []
        for item, line in zip(value, value.item_lines, strict=True):
            if not isinstance(item, str | int) or isinstance(item, bool):
                self.error(
                    line,
                    _("%(where)s : « %(key)s » ne doit contenir que des textes.")
                    % {"where": where, "key": key},
                )
            elif pattern is not None and not pattern.match(str(item)):
                self.error(
                    line,
                    _(
                        "%(where)s : « %(item)s » n'est pas une étiquette valide (majuscules, chiffres et tirets, ex. SP-7)."
                    )
                    % {"where": where, "item": item},
                )
            elif str(item) in items:
                self.error(
                    line,
                    _("%(where)s : « %(item)s » est répété dans « %(key)s ».")
                    % {"where": where, "item": item, "key": key},
                )
            else:
                items.append(str(item))
        return tuple(items)

    def items(self, data: _Map, key: str, where: str, *, required: bool) -> list[tuple[_Map, int]]:
        value = data.get(key)
        if value is None:
            if required:
                self.error(
                    data.line,
                    _("%(where)s : la liste « %(key)s » est obligatoire.")
                    % {"where": where, "key": key},
                )
            return []
        if not isinstance(value, _Seq):
            self.error(
                self.line_of(data, key),
                _("%(where)s : « %(key)s » doit être une liste d'éléments commençant par « - ».")
                % {"where": where, "key": key},
            )
            return []
        found = []
        for item, line in zip(value, value.item_lines, strict=True):
            mapping = self.mapping(item, line, where)
            if mapping is not None:
                found.append((mapping, line))
        return found

    def code(self, data: _Map, where: str, *, parent: str | None, pattern: re.Pattern[str]) -> str:
        code = self.text(data, "code", where)
        line = self.line_of(data, "code")
        if not code:
            return ""
        if parent is not None:
            if not code.startswith(parent + "."):
                self.error(
                    line,
                    _(
                        "le code « %(code)s » doit commencer par « %(parent)s. », le code de l'élément qui le contient (%(where)s)."
                    )
                    % {"code": code, "parent": parent, "where": where},
                )
                return code
            suffix = code[len(parent) + 1 :]
            if not pattern.match(suffix):
                self.error(
                    line,
                    _(
                        "le code « %(code)s » : après « %(parent)s. », seuls des majuscules et des chiffres sont permis."
                    )
                    % {"code": code, "parent": parent},
                )
        elif not pattern.match(code):
            self.error(
                line,
                _("le code « %(code)s » n'a pas la forme attendue (%(where)s).")
                % {"code": code, "where": where},
            )
        if code in self.code_lines:
            self.error(
                line,
                _(
                    "le code « %(code)s » est déjà utilisé ligne %(first)d ; chaque code est unique dans une version de référentiel."
                )
                % {"code": code, "first": self.code_lines[code]},
            )
        else:
            self.code_lines[code] = line
        return code


def _indicator(check: _Checker, data: _Map, order: int, *, parent: str) -> IndicatorSpec:
    where = _("indicateur de %(parent)s") % {"parent": parent}
    check.keys(data, INDICATOR_KEYS, ("code", "label_fr"), where)
    return IndicatorSpec(
        code=check.code(data, where, parent=parent, pattern=CODE_SUFFIX),
        label_fr=check.text(data, "label_fr", where),
        label_en=check.text(data, "label_en", where),
        official=check.boolean(data, "official", where, default=False),
        order=order,
        line=data.line,
    )


def _competence(check: _Checker, data: _Map, order: int, *, parent: str) -> CompetenceSpec:
    where = _("compétence %(code)s") % {"code": data.get("code") or _("sans code")}
    check.keys(data, COMPETENCE_KEYS, ("code", "label_fr"), where)
    code = check.code(data, where, parent=parent, pattern=CODE_SUFFIX)
    indicators = tuple(
        _indicator(check, item, index, parent=code)
        for index, (item, _line) in enumerate(
            check.items(data, "indicators", where, required=False), 1
        )
    )
    return CompetenceSpec(
        code=code,
        rncp_code=check.text(data, "rncp_code", where),
        label_fr=check.text(data, "label_fr", where),
        label_en=check.text(data, "label_en", where),
        bts_validated=check.boolean(data, "bts_validated", where, default=False),
        socle=check.texts(data, "socle", where, pattern=TAG),
        official=check.boolean(data, "official", where, default=True),
        note=check.text(data, "note", where),
        order=order,
        indicators=indicators,
        line=data.line,
    )


def _domain(check: _Checker, data: _Map, order: int) -> DomainSpec:
    where = _("domaine %(code)s") % {"code": data.get("code") or _("sans code")}
    check.keys(data, DOMAIN_KEYS, ("code", "kind", "title_fr"), where)
    code = check.code(data, where, parent=None, pattern=DOMAIN_CODE)
    kind = check.text(data, "kind", where)
    if kind and kind not in constants.DOMAIN_KINDS:
        check.error(
            check.line_of(data, "kind"),
            _(
                "%(where)s : « kind » vaut DC (domaine de compétences) ou BC (bloc de compétences), pas « %(kind)s »."
            )
            % {"where": where, "kind": kind},
        )
    elif kind and code and not code.startswith(kind):
        check.error(
            check.line_of(data, "code"),
            _("%(where)s : un domaine de type %(kind)s a un code qui commence par %(kind)s.")
            % {"where": where, "kind": kind},
        )
    uncertain = check.boolean(data, "title_uncertain", where, default=False)
    note = check.text(data, "uncertainty_note", where)
    if uncertain and not note:
        check.error(
            data.line,
            _(
                "%(where)s : un intitulé incertain (title_uncertain: true) doit dire pourquoi dans « uncertainty_note »."
            )
            % {"where": where},
        )
    competences = tuple(
        _competence(check, item, index, parent=code)
        for index, (item, _line) in enumerate(
            check.items(data, "competences", where, required=False), 1
        )
    )
    return DomainSpec(
        code=code,
        kind=kind,
        title_fr=check.text(data, "title_fr", where),
        title_en=check.text(data, "title_en", where),
        short_title_fr=check.text(data, "short_title_fr", where),
        hours=check.number(data, "hours", where),
        ects=check.number(data, "ects", where),
        rncp_blocs=check.texts(data, "rncp_blocs", where),
        title_uncertain=uncertain,
        uncertainty_note=note,
        order=order,
        competences=competences,
        line=data.line,
    )


def framework_parse(text: str, *, source: str) -> FrameworkSpec:
    """Read one framework file; raise FrameworkDataError listing every problem with its line."""
    document = _yaml_load(text, source=source)
    check = _Checker(source)
    root = check.mapping(document, 1, _("le fichier"))
    if root is None:
        raise FrameworkDataError(check.errors)
    check.keys(root, {"framework"}, ("framework",), _("le fichier"))
    data = check.mapping(root.get("framework"), check.line_of(root, "framework"), "framework")
    if data is None or check.errors:
        raise FrameworkDataError(check.errors)
    where = _("référentiel")
    check.keys(data, FRAMEWORK_KEYS, ("code", "version", "title_fr", "domains"), where)
    code = check.code(data, where, parent=None, pattern=FRAMEWORK_CODE)
    version = check.number(data, "version", where)
    if version == 0:
        check.error(check.line_of(data, "version"), _("référentiel : « version » commence à 1."))
    status = check.text(data, "status", where) or constants.STATUS_ACTIVE
    if status not in constants.STATUSES:
        check.error(
            check.line_of(data, "status"),
            _("référentiel : « status » vaut active ou archived, pas « %(status)s ».")
            % {"status": status},
        )
    domains = tuple(
        _domain(check, item, index)
        for index, (item, _line) in enumerate(check.items(data, "domains", where, required=True), 1)
    )
    spec = FrameworkSpec(
        code=code,
        version=version or 0,
        title_fr=check.text(data, "title_fr", where),
        title_en=check.text(data, "title_en", where),
        valid_from=check.text(data, "valid_from", where),
        valid_until=check.text(data, "valid_until", where),
        valid_from_date=check.date(data, "valid_from_date", where),
        valid_until_date=check.date(data, "valid_until_date", where),
        status=status,
        sources=check.texts(data, "sources", where),
        domains=domains,
        source=source,
    )
    if check.errors:
        raise FrameworkDataError(check.errors)
    return spec
