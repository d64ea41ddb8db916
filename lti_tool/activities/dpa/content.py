"""Checking a DPA case (format ``atelier-dpa/1``, data/README.md; domain.md §8); reading a
validated one is ``case.py``.

Pure: text in, the validated plain-JSON content out (what ``ActivityVersion.content``
stores), or ``ContentInvalid`` listing every problem at once, each with its YAML line and a
French sentence an author can act on. The YAML reader and the shared checks live in
``lti_tool.activities.content_yaml``, exactly as for scenarios and role-play briefs.

Choices made for authors (documented in data/README.md):
* every tag of the checklist is either expected (``key``) or a plausible-but-wrong
  ``distractor``: the author decides for each item, so the automatic score never counts a
  tag nobody thought about;
* the "improve" fields follow Le Bossé's four axes (domain.md §3.7): each field names its
  axis (1–4) and every axis has at least one field;
* exactly one criterion is ``auto: true``: the tagging score is blended into it at α
  (domain.md §4.2), inside that criterion only;
* the alternative plan is ordinary content here: when a student may read it (only after
  submitting) is decided by the views.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lti_tool.activities.content_yaml import (
    SLUG,
    ContentChecker,
    FrameworkCodes,
    FrameworkLookup,
    Path,
    type_name,
    words,
)
from lti_tool.grading.rules import ALPHA_MAX

FORMAT = "atelier-dpa/1"
SUBJECT = "Le cas DPA"
CASE_TYPES = ("individual", "collective")
AXES = (1, 2, 3, 4)  # Le Bossé's four axes (domain.md §3.7)
CRITERION_PREFIX = "DPA-"
WORDS_MIN, WORDS_MAX = 20, 1000
MINUTES_MIN, MINUTES_MAX = 15, 600


TOP_REQUIRED = ("format", "slug", "title", "summary", "languages", "framework", "case_type",
                "situation", "professional", "initial_plan", "tags", "key", "distractors",
                "critique", "improve", "self_critique", "alternative_plan", "reflection",
                "criteria")  # fmt: skip
TOP_OPTIONAL = ("training_unit", "estimated_minutes", "alpha")
MEASURE_KEYS = ("id", "measure")
TAG_REQUIRED = ("id", "label")
TAG_OPTIONAL = ("why",)
PROMPT_KEYS = ("prompt", "max_words")
IMPROVE_KEYS = ("id", "axis", "label", "guidance", "max_words")
ALTERNATIVE_KEYS = ("intro", "steps")
CRITERION_REQUIRED = ("code", "domain", "competences", "weight", "label", "levels")
CRITERION_OPTIONAL = ("auto",)


class _Checker(ContentChecker):
    subject = SUBJECT
    item_id_hint = "minuscules, chiffres, - et _, par exemple « lecture-deficitaire »"

    def __init__(self, lines: dict[Path, int], framework_lookup: FrameworkLookup | None) -> None:
        super().__init__(lines, framework_lookup)
        self.criteria: dict[str, Path] = {}
        self.tags: dict[str, Path] = {}

    def check(self, data: Any) -> None:
        doc = self.mapping(
            data, (), required=TOP_REQUIRED, optional=TOP_OPTIONAL, what="le cas DPA"
        )
        if doc is None:
            return
        self.check_format(doc, FORMAT)
        if "slug" in doc:
            self.identifier(doc["slug"], ("slug",), "le slug", SLUG,
                            "minuscules, chiffres et tirets, par exemple « dpa-mme-morel »")  # fmt: skip
        self.check_languages(doc.get("languages"))
        for key, what in (
            ("title", "le titre"),
            ("summary", "le résumé"),
            ("situation", "la situation"),
            ("professional", "la présentation du ou de la professionnel·le"),
        ):
            if key in doc:
                self.local(doc[key], (key,), what)
        if "training_unit" in doc:
            self.text(doc["training_unit"], ("training_unit",), "l'unité de formation")
        if "estimated_minutes" in doc:
            self.integer(doc["estimated_minutes"], ("estimated_minutes",), "la durée estimée (minutes)",
                         low=MINUTES_MIN, high=MINUTES_MAX)  # fmt: skip
        if "case_type" in doc and doc["case_type"] not in CASE_TYPES:
            self.problem(
                ("case_type",),
                f"type de cas « {doc['case_type']} » inconnu : individual (une personne) ou "
                "collective (un groupe, des habitant·es).",
            )
        if "alpha" in doc:
            self.check_alpha(doc["alpha"])
        self.check_plan(doc.get("initial_plan"))
        self.check_tags(doc.get("tags"))
        expected = self.tag_list(doc.get("key"), ("key",), "la clé (tags attendus)")
        distractors = self.tag_list(doc.get("distractors"), ("distractors",), "les distracteurs")
        self.check_key(expected, distractors, "key" in doc and "distractors" in doc)
        for name, what in (
            ("critique", "la critique libre"),
            ("self_critique", "l'autocritique"),
            ("reflection", "la réflexion finale"),
        ):
            if name in doc:
                self.check_prompt(doc[name], (name,), what)
        self.check_improve(doc.get("improve"))
        self.check_alternative(doc.get("alternative_plan"))
        codes = self.check_framework(doc.get("framework"))
        self.check_criteria(doc.get("criteria"), codes)

    # pieces

    def check_alpha(self, value: Any) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= Decimal(str(value)) <= ALPHA_MAX
        ):
            self.problem(
                ("alpha",),
                f"alpha (part automatique du critère de repérage) doit être un nombre entre 0 "
                f"et 0.5, par exemple 0.2, pas « {value} ».",
            )

    def check_plan(self, value: Any) -> None:
        path: Path = ("initial_plan",)
        seen: dict[str, Path] = {}
        for index, item in enumerate(self.items(value, path, "mesures", low=2, high=12)):
            here = (*path, index)
            measure = self.mapping(item, here, required=MEASURE_KEYS, what="une mesure du plan")
            if measure is None:
                continue
            self.item_id(measure, here, "l'identifiant de la mesure", seen)
            if "measure" in measure:
                self.local(measure["measure"], (*here, "measure"), "la mesure")

    def check_tags(self, value: Any) -> None:
        path: Path = ("tags",)
        for index, item in enumerate(self.items(value, path, "tags", low=3, high=20)):
            here = (*path, index)
            tag = self.mapping(
                item, here, required=TAG_REQUIRED, optional=TAG_OPTIONAL, what="un tag"
            )
            if tag is None:
                continue
            self.item_id(tag, here, "l'identifiant du tag", self.tags)
            if "label" in tag:
                self.local(tag["label"], (*here, "label"), "le libellé du tag")
            if "why" in tag:
                self.local(tag["why"], (*here, "why"), "l'explication du tag")

    def tag_list(self, value: Any, path: Path, what: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.problem(
                path,
                f"{what} doi(ven)t être une liste non vide d'identifiants de tags, par exemple "
                f"[lecture-deficitaire], pas {type_name(value)}.",
            )
            return []
        found: list[str] = []
        for position, tag in enumerate(value):
            if not self.text(tag, (*path, position), "un identifiant de tag"):
                continue
            if tag not in self.tags:
                self.problem(
                    (*path, position),
                    f"le tag « {tag} » n'est pas déclaré dans tags "
                    f"(tags : {words(self.tags) or 'aucun'}).",
                )
            elif tag in found:
                self.problem((*path, position), f"le tag « {tag} » est cité deux fois.")
            else:
                found.append(tag)
        return found

    def check_key(self, key: list[str], distractors: list[str], both: bool) -> None:
        for tag in set(key) & set(distractors):
            self.problem(
                ("distractors",),
                f"le tag « {tag} » est à la fois attendu (key) et distracteur : choisissez.",
            )
        if not both:
            return
        for tag, path in self.tags.items():
            if tag not in key and tag not in distractors:
                self.problem(
                    path,
                    f"le tag « {tag} » n'est ni dans key (attendu) ni dans distractors "
                    "(plausible mais faux) : classez-le.",
                )

    def check_prompt(self, value: Any, path: Path, what: str) -> None:
        prompt = self.mapping(value, path, required=PROMPT_KEYS, what=what)
        if prompt is None:
            return
        if "prompt" in prompt:
            self.local(prompt["prompt"], (*path, "prompt"), f"la consigne de {what}")
        if "max_words" in prompt:
            self.integer(prompt["max_words"], (*path, "max_words"), f"la limite de mots de {what}",
                         low=WORDS_MIN, high=WORDS_MAX)  # fmt: skip

    def check_improve(self, value: Any) -> None:
        path: Path = ("improve",)
        seen: dict[str, Path] = {}
        axes: set[int] = set()
        fields = self.items(value, path, "champs « améliorer »", low=4, high=10)
        for index, item in enumerate(fields):
            here = (*path, index)
            field = self.mapping(item, here, required=IMPROVE_KEYS, what="un champ « améliorer »")
            if field is None:
                continue
            self.item_id(field, here, "l'identifiant du champ", seen)
            if "axis" in field and self.integer(
                field["axis"], (*here, "axis"), "l'axe du DPA (1 à 4)", low=1, high=4
            ):
                axes.add(field["axis"])
            for key, what in (("label", "l'intitulé du champ"), ("guidance", "la consigne")):
                if key in field:
                    self.local(field[key], (*here, key), what)
            if "max_words" in field:
                self.integer(field["max_words"], (*here, "max_words"), "la limite de mots",
                             low=WORDS_MIN, high=WORDS_MAX)  # fmt: skip
        missing = [str(axis) for axis in AXES if axis not in axes]
        if fields and isinstance(value, list) and missing:
            self.problem(
                path,
                f"aucun champ pour l'axe {', '.join(missing)} du DPA : chacun des quatre axes "
                "de Le Bossé (acteur en contexte, négociation, contextes, conscientisation) "
                "doit avoir au moins un champ.",
            )

    def check_alternative(self, value: Any) -> None:
        path: Path = ("alternative_plan",)
        plan = self.mapping(value, path, required=ALTERNATIVE_KEYS, what="le plan alternatif")
        if plan is None:
            return
        if "intro" in plan:
            self.local(plan["intro"], (*path, "intro"), "l'introduction du plan alternatif")
        if "steps" in plan:
            for index, step in enumerate(
                self.items(plan["steps"], (*path, "steps"), "étapes", low=2, high=15)
            ):
                self.local(step, (*path, "steps", index), "une étape du plan alternatif")

    def check_criteria(self, value: Any, codes: FrameworkCodes | None) -> None:
        path: Path = ("criteria",)
        autos: list[str] = []
        criteria = self.items(value, path, "critères", low=1, high=20)
        for index, item in enumerate(criteria):
            here = (*path, index)
            criterion = self.mapping(
                item, here, required=CRITERION_REQUIRED, optional=CRITERION_OPTIONAL,
                what="un critère",
            )  # fmt: skip
            if criterion is None:
                continue
            code = self.check_criterion_code(criterion, here, self.criteria, "DPA-CRIT")
            if code is not None and not code.startswith(CRITERION_PREFIX):
                self.problem(
                    (*here, "code"),
                    f"le code {code} doit commencer par {CRITERION_PREFIX} (critères de l'étude "
                    "de cas DPA, domain.md §8.2).",
                )
            self.check_criterion_domain(criterion, here, codes)
            self.check_weight(criterion, here)
            if "label" in criterion:
                self.local(criterion["label"], (*here, "label"), "le libellé du critère")
            if "auto" in criterion:
                if not isinstance(criterion["auto"], bool):
                    self.problem((*here, "auto"), "auto s'écrit true ou false.")
                elif criterion["auto"]:
                    autos.append(code or "?")
            if "levels" in criterion:
                self.check_levels(criterion["levels"], (*here, "levels"), code)
        if criteria and isinstance(value, list) and len(autos) != 1:
            self.problem(
                path,
                "exactement un critère doit porter auto: true (le repérage des failles, "
                f"noté en partie automatiquement) ; lus : {words(autos) or 'aucun'}.",
            )


# --- entry points ---------------------------------------------------------------------------


dpa_parse = _Checker.parse
dpa_validate = _Checker.validate
