"""Reading and checking a DSL project brief (format ``atelier-dsl/1``, data/README.md;
domain.md §7).

Pure: text in, the validated plain-JSON content out (what ``ActivityVersion.content``
stores), or ``ContentInvalid`` listing every problem at once, each with its YAML line and a
French sentence an author can act on. The YAML reader and the checks shared with the other
kinds live in ``lti_tool.activities.content_yaml``, used exactly as the role-play briefs do.

Choices made for authors (documented in data/README.md):
* the eight steps of domain.md §7.1 are fixed, in order, by their ids; the structured tools
  live where the method puts them: the stakeholder map in ``partenariat``, the Arnstein
  rung in ``mobilisation``, the multi-year phasing in ``plan``, the note for elected
  officials and the inhabitants' poster in ``communication`` (they make the PDF);
* a dilemma card names the criteria it feeds and every option scores each of them 0..4:
  a choice is then always comparable with the others, and the card's automatic part is
  defined whatever the student picks;
* a criterion fed by dilemma cards says so (``auto: true``) and one that says so must be
  fed by at least one card: the rubric engine refuses automatic scores elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lti_tool.activities.content_yaml import (
    SLUG,
    ContentChecker,
    FrameworkCodes,
    FrameworkLookup,
    Path,
    local_text,
    rubric_criterion_read,
    type_name,
    words,
)
from lti_tool.grading.rubric import DEFAULT_ALPHA, Rubric, RubricCriterion
from lti_tool.grading.rules import ALPHA_MAX, RUBRIC_LEVEL_MAX

FORMAT = "atelier-dsl/1"
SUBJECT = "Le dossier de projet DSL"
CRITERION_PREFIX = "DSL-"
LEVELS = tuple(str(level) for level in range(RUBRIC_LEVEL_MAX + 1))
# The eight steps of the method, in order (domain.md §3.2 and §7.1).
STEP_IDS = ("mandat", "diagnostic", "partenariat", "mobilisation", "plan", "evaluation",
            "posture", "communication")  # fmt: skip
TEXT, STAKEHOLDERS, PHASING, LADDER, NOTE, POSTER = (
    "text", "stakeholders", "phasing", "ladder", "note", "poster"
)  # fmt: skip
FIELD_TYPES = (TEXT, STAKEHOLDERS, PHASING, LADDER, NOTE, POSTER)
# Where each structured tool belongs; each appears exactly once in a brief.
TOOL_STEPS = {STAKEHOLDERS: "partenariat", LADDER: "mobilisation", PHASING: "plan",
              NOTE: "communication", POSTER: "communication"}  # fmt: skip
TABLE_TYPES = (STAKEHOLDERS, PHASING)
TEAM_SIZES = (1, 3, 4)  # alone, or a team of 3–4 (issue 9)
WORDS_MIN, WORDS_MAX = 20, 2000
DILEMMAS_MAX = 2  # per step


TOP_REQUIRED = ("format", "slug", "title", "summary", "languages", "framework", "role",
                "team_sizes", "territory", "steps", "criteria")  # fmt: skip
TOP_OPTIONAL = ("training_unit", "estimated_minutes", "alpha")
TERRITORY_KEYS = ("name", "portrait", "figures", "actors", "quotes", "press", "budget")
FIGURE_REQUIRED, FIGURE_OPTIONAL = ("label", "value"), ("source",)
ACTOR_KEYS = ("name", "kind", "description")
QUOTE_KEYS = ("who", "text")
PRESS_KEYS = ("source", "date", "headline", "text")
BUDGET_REQUIRED, BUDGET_OPTIONAL = ("amount", "period"), ("detail",)
STEP_REQUIRED, STEP_OPTIONAL = ("id", "title", "intro", "fields"), ("dilemmas",)
FIELD_REQUIRED, FIELD_OPTIONAL = ("id", "label", "help"), ("type", "words")
DILEMMA_KEYS = ("id", "situation", "criteria", "options")
OPTION_KEYS = ("id", "text", "feedback", "scores")
CRITERION_REQUIRED = ("code", "domain", "competences", "weight", "label", "levels")
CRITERION_OPTIONAL = ("auto",)


class _Checker(ContentChecker):
    subject = SUBJECT
    item_id_hint = "minuscules, chiffres, - et _, par exemple « lieu-ateliers »"

    def __init__(self, lines: dict[Path, int], framework_lookup: FrameworkLookup | None) -> None:
        super().__init__(lines, framework_lookup)
        self.criteria: dict[str, Path] = {}
        self.auto: set[str] = set()
        self.fed: set[str] = set()  # criteria some dilemma card feeds
        self.references: list[tuple[Path, str]] = []  # dilemma criteria to resolve
        self.field_ids: dict[str, Path] = {}
        self.dilemma_ids: dict[str, Path] = {}
        self.tools: dict[str, Path] = {}  # structured field type → its path

    def check(self, data: Any) -> None:
        doc = self.mapping(data, (), required=TOP_REQUIRED, optional=TOP_OPTIONAL,
                           what="le dossier de projet DSL")  # fmt: skip
        if doc is None:
            return
        self.check_format(doc, FORMAT)
        if "slug" in doc:
            self.identifier(doc["slug"], ("slug",), "le slug", SLUG,
                            "minuscules, chiffres et tirets, par exemple « dsl-quartier-des-peupliers »")  # fmt: skip
        self.check_languages(doc.get("languages"))
        for key, what in (("title", "le titre"), ("summary", "le résumé"),
                          ("role", "le rôle confié à l'étudiant·e (role)")):  # fmt: skip
            if key in doc:
                self.local(doc[key], (key,), what)
        if "training_unit" in doc:
            self.text(doc["training_unit"], ("training_unit",), "l'unité de formation")
        if "estimated_minutes" in doc:
            self.integer(doc["estimated_minutes"], ("estimated_minutes",),
                         "la durée estimée (minutes)", low=30, high=6000)  # fmt: skip
        if "alpha" in doc:
            self.check_alpha(doc["alpha"])
        if "team_sizes" in doc:
            self.check_team_sizes(doc["team_sizes"])
        codes = self.check_framework(doc.get("framework"))
        self.check_criteria(doc.get("criteria"), codes)
        if "territory" in doc:
            self.check_territory(doc["territory"])
        self.check_steps(doc.get("steps"))
        self.check_references()

    # pieces

    def check_alpha(self, value: Any) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= Decimal(str(value)) <= ALPHA_MAX
        ):
            self.problem(
                ("alpha",),
                f"alpha (part des cartes dilemmes dans leur critère) doit être un nombre entre "
                f"0 et 0.5, pas « {value} » (0.2 par défaut, domain.md §4.2).",
            )

    def check_team_sizes(self, value: Any) -> None:
        path: Path = ("team_sizes",)
        if not isinstance(value, list) or not value:
            self.problem(path, "team_sizes doit être une liste non vide, par exemple [1, 3, 4].")
            return
        seen: set[Any] = set()
        for index, size in enumerate(value):
            if isinstance(size, bool) or size not in TEAM_SIZES:
                self.problem(
                    (*path, index),
                    f"taille d'équipe « {size} » impossible : 1 (seul·e), 3 ou 4 (équipe).",
                )
            elif size in seen:
                self.problem((*path, index), f"la taille {size} est citée deux fois.")
            seen.add(size)

    def texts_of(self, item: dict[str, Any], here: Path, keys: tuple[tuple[str, str], ...]) -> None:
        for key, what in keys:
            if key in item:
                self.local(item[key], (*here, key), what)

    def check_territory(self, value: Any) -> None:
        path: Path = ("territory",)
        territory = self.mapping(value, path, required=TERRITORY_KEYS,
                                 what="le dossier du territoire (territory)")  # fmt: skip
        if territory is None:
            return
        self.texts_of(territory, path, (("name", "le nom du territoire"),
                                        ("portrait", "le portrait du territoire")))  # fmt: skip
        lists = (
            ("figures", "chiffres", FIGURE_REQUIRED, FIGURE_OPTIONAL, 3, 30,
             (("label", "l'intitulé du chiffre"), ("value", "la valeur"),
              ("source", "la source"))),
            ("actors", "acteurs locaux", ACTOR_KEYS, (), 3, 30,
             (("name", "le nom de l'acteur"), ("kind", "le type d'acteur"),
              ("description", "la description de l'acteur"))),
            ("quotes", "paroles d'habitant·es", QUOTE_KEYS, (), 2, 12,
             (("who", "qui parle"), ("text", "la citation"))),
        )  # fmt: skip
        for key, what, required, optional, low, high, texts in lists:
            for index, item in enumerate(
                self.items(territory.get(key), (*path, key), what, low=low, high=high)
            ):
                here = (*path, key, index)
                entry = self.mapping(item, here, required=required, optional=optional,
                                     what=f"un élément de {key}")  # fmt: skip
                if entry is not None:
                    self.texts_of(entry, here, texts)
        if "press" in territory:
            here = (*path, "press")
            press = self.mapping(territory["press"], here, required=PRESS_KEYS,
                                 what="la coupure de presse")  # fmt: skip
            if press is not None:
                self.texts_of(press, here, (("source", "le journal"), ("date", "la date"),
                                            ("headline", "le titre de l'article"),
                                            ("text", "le texte de l'article")))  # fmt: skip
        if "budget" in territory:
            self.check_budget(territory["budget"], (*path, "budget"))

    def check_budget(self, value: Any, path: Path) -> None:
        budget = self.mapping(value, path, required=BUDGET_REQUIRED, optional=BUDGET_OPTIONAL,
                              what="l'enveloppe budgétaire")  # fmt: skip
        if budget is None:
            return
        if "amount" in budget:
            self.integer(budget["amount"], (*path, "amount"), "le montant (euros)",
                         low=1, high=10_000_000)  # fmt: skip
        self.texts_of(budget, path, (("period", "la période couverte"),
                                     ("detail", "le détail des financements")))  # fmt: skip

    def check_steps(self, value: Any) -> None:
        path: Path = ("steps",)
        steps = self.items(value, path, "étapes", low=len(STEP_IDS), high=len(STEP_IDS))
        for index, item in enumerate(steps):
            here = (*path, index)
            step = self.mapping(item, here, required=STEP_REQUIRED, optional=STEP_OPTIONAL,
                                what="une étape")  # fmt: skip
            if step is None:
                continue
            expected = STEP_IDS[index] if index < len(STEP_IDS) else None
            step_id = step.get("id")
            if "id" in step and step_id != expected:
                self.problem(
                    (*here, "id"),
                    f"l'étape {index + 1} doit avoir l'identifiant « {expected} », pas "
                    f"« {step_id} » (les huit étapes, dans l'ordre : {words(STEP_IDS)})."
                    if expected
                    else f"étape en trop « {step_id} ».",
                )
            self.texts_of(step, here, (("title", "le titre de l'étape"),
                                       ("intro", "la consigne de l'étape")))  # fmt: skip
            fields = self.items(step.get("fields"), (*here, "fields"), "champs", low=1, high=8)
            for position, field_item in enumerate(fields):
                self.check_field(field_item, (*here, "fields", position), expected)
            dilemmas = self.items(step.get("dilemmas"), (*here, "dilemmas"), "cartes dilemmes",
                                  low=0, high=DILEMMAS_MAX)  # fmt: skip
            for position, card in enumerate(dilemmas):
                self.check_dilemma(card, (*here, "dilemmas", position))
        for kind, step_id in TOOL_STEPS.items():
            if steps and kind not in self.tools:
                self.problem(
                    path,
                    f"aucun champ de type {kind} : il en faut un, dans l'étape « {step_id} ».",
                )

    def check_field(self, value: Any, here: Path, step_id: str | None) -> None:
        field = self.mapping(value, here, required=FIELD_REQUIRED, optional=FIELD_OPTIONAL,
                             what="un champ")  # fmt: skip
        if field is None:
            return
        self.item_id(field, here, "l'identifiant du champ", self.field_ids)
        self.texts_of(field, here, (("label", "l'intitulé du champ"), ("help", "l'aide du champ")))
        kind = field.get("type", TEXT)
        if kind not in FIELD_TYPES:
            self.problem((*here, "type"),
                         f"type de champ « {kind} » inconnu (types : {words(FIELD_TYPES)}).")  # fmt: skip
            return
        if kind != TEXT:
            if kind in self.tools:
                self.problem(
                    (*here, "type"),
                    f"un seul champ de type {kind} par dossier "
                    f"(déjà ligne {self.line(self.tools[kind])}).",
                )
            else:
                self.tools[kind] = (*here, "type")
            if step_id is not None and TOOL_STEPS[kind] != step_id:
                self.problem((*here, "type"),
                             f"un champ de type {kind} va dans l'étape « {TOOL_STEPS[kind]} ».")  # fmt: skip
        if "words" in field:
            self.integer(field["words"], (*here, "words"), "la limite de mots",
                         low=WORDS_MIN, high=WORDS_MAX)  # fmt: skip
        elif kind not in TABLE_TYPES:
            self.problem(here, "clé obligatoire « words » manquante : la limite de mots du champ.")

    def check_dilemma(self, value: Any, here: Path) -> None:
        card = self.mapping(value, here, required=DILEMMA_KEYS, what="une carte dilemme")
        if card is None:
            return
        self.item_id(card, here, "l'identifiant de la carte", self.dilemma_ids)
        self.texts_of(card, here, (("situation", "la situation du dilemme"),))
        tagged = card.get("criteria")
        if (
            not isinstance(tagged, list)
            or not tagged
            or not all(isinstance(c, str) for c in tagged)
        ):
            self.problem(
                (*here, "criteria"),
                "criteria doit être une liste non vide des critères que la carte nourrit, "
                "par exemple [DSL-DIAG, DSL-MED].",
            )
            tagged = []
        for position, code in enumerate(tagged):
            self.references.append(((*here, "criteria", position), code))
            self.fed.add(code)
        seen: dict[str, Path] = {}
        options = self.items(card.get("options"), (*here, "options"), "options", low=2, high=4)
        for index, item in enumerate(options):
            opath = (*here, "options", index)
            option = self.mapping(item, opath, required=OPTION_KEYS, what="une option")
            if option is None:
                continue
            self.item_id(option, opath, "l'identifiant de l'option", seen)
            self.texts_of(option, opath, (("text", "le texte de l'option"),
                                          ("feedback", "le retour immédiat")))  # fmt: skip
            if "scores" in option:
                self.check_scores(option["scores"], (*opath, "scores"), tagged)

    def check_scores(self, value: Any, path: Path, tagged: list[str]) -> None:
        if not isinstance(value, dict):
            self.problem(path, f"scores doit donner un niveau 0..4 par critère de la carte "
                               f"({words(tagged)}), pas {type_name(value)}.")  # fmt: skip
            return
        for code, level in value.items():
            if code not in tagged:
                self.problem((*path, code), f"le critère {code} n'est pas dans les criteria de "
                                            f"la carte ({words(tagged) or 'aucun'}).")  # fmt: skip
            else:
                self.integer(level, (*path, code), f"le score {code}", low=0, high=RUBRIC_LEVEL_MAX)
        for code in tagged:
            if code not in value:
                self.problem(path, f"score manquant pour {code} : chaque option note chaque "
                                   "critère de la carte, de 0 à 4.")  # fmt: skip

    def check_references(self) -> None:
        for path, code in self.references:
            if code not in self.criteria:
                self.problem(path, f"le critère {code} n'est pas déclaré dans criteria "
                                   f"(critères : {words(self.criteria) or 'aucun'}).")  # fmt: skip
            elif code not in self.auto:
                self.problem(path, f"le critère {code} est nourri par une carte dilemme : "
                                   "déclarez-le avec « auto: true ».")  # fmt: skip
        for code in sorted(self.auto - self.fed):
            self.problem(
                (*self.criteria[code][:-1], "auto"),
                f"le critère {code} est déclaré auto mais aucune carte dilemme ne le nourrit.",
            )

    def check_criteria(self, value: Any, codes: FrameworkCodes | None) -> None:
        path: Path = ("criteria",)
        for index, item in enumerate(self.items(value, path, "critères", low=1, high=20)):
            here = (*path, index)
            criterion = self.mapping(item, here, required=CRITERION_REQUIRED,
                                     optional=CRITERION_OPTIONAL, what="un critère")  # fmt: skip
            if criterion is None:
                continue
            code = self.check_criterion_code(criterion, here, self.criteria, "DSL-DIAG")
            if code is not None and not code.startswith(CRITERION_PREFIX):
                self.problem((*here, "code"), f"le code {code} doit commencer par "
                                              f"{CRITERION_PREFIX} (domain.md §7.2).")  # fmt: skip
            self.check_criterion_domain(criterion, here, codes)
            self.check_weight(criterion, here)
            if "label" in criterion:
                self.local(criterion["label"], (*here, "label"), "le libellé du critère")
            auto = criterion.get("auto", False)
            if not isinstance(auto, bool):
                self.problem((*here, "auto"), f"auto vaut true ou false, pas « {auto} ».")
            elif auto and code is not None:
                self.auto.add(code)
            if "levels" in criterion:
                self.check_levels(criterion["levels"], (*here, "levels"), code)


# --- entry points ---------------------------------------------------------------------------


dsl_parse = _Checker.parse
dsl_validate = _Checker.validate


# --- reading validated content --------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    source: str


@dataclass(frozen=True)
class Actor:
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class Quote:
    who: str
    text: str


@dataclass(frozen=True)
class Press:
    source: str
    date: str
    headline: str
    text: str


@dataclass(frozen=True)
class Territory:
    name: str
    portrait: str
    figures: tuple[Figure, ...]
    actors: tuple[Actor, ...]
    quotes: tuple[Quote, ...]
    press: Press
    budget_amount: int
    budget_period: str
    budget_detail: str


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    help: str
    type: str
    words: int | None  # None for tables

    @property
    def is_text(self) -> bool:
        return self.type in (TEXT, NOTE, POSTER)


@dataclass(frozen=True)
class Option:
    id: str
    text: str
    feedback: str
    scores: dict[str, int]


@dataclass(frozen=True)
class Dilemma:
    id: str
    step: str
    situation: str
    criteria: tuple[str, ...]
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Step:
    number: int  # 1..8
    id: str
    title: str
    intro: str
    fields: tuple[Field, ...]
    dilemmas: tuple[Dilemma, ...]


@dataclass(frozen=True)
class DslBrief:
    """A validated brief, texts in one language: what every screen of the canvas reads."""

    slug: str
    title: str
    summary: str
    languages: tuple[str, ...]
    training_unit: str
    framework_code: str
    framework_version: int
    estimated_minutes: int | None
    alpha: Decimal
    role: str
    team_sizes: tuple[int, ...]
    territory: Territory
    steps: tuple[Step, ...]
    criteria: tuple[RubricCriterion, ...]

    def domains(self) -> list[str]:
        """Domains assessed, in the order of first appearance in the criteria."""
        return list(dict.fromkeys(c.domain for c in self.criteria))

    def rubric(self) -> Rubric:
        return Rubric(criteria=self.criteria)

    def step(self, number: int) -> Step | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for step in self.steps for f in step.fields)

    def field(self, field_id: str) -> Field | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def field_of_type(self, kind: str) -> Field:
        return next(f for f in self.fields if f.type == kind)

    @property
    def dilemmas(self) -> tuple[Dilemma, ...]:
        return tuple(d for step in self.steps for d in step.dilemmas)

    def dilemma(self, dilemma_id: str) -> Dilemma | None:
        return next((d for d in self.dilemmas if d.id == dilemma_id), None)


def dsl_from_json(content: dict[str, Any], *, language: str = "fr") -> DslBrief:
    """A brief from validated content, texts in ``language`` when the brief has it."""
    languages = tuple(content.get("languages") or ("fr",))
    default = languages[0]
    lang = language if language in languages else default

    def t(value: Any) -> str:
        return local_text(value, lang, default)

    place = content["territory"]
    press, budget = place["press"], place["budget"]
    territory = Territory(
        name=t(place["name"]),
        portrait=t(place["portrait"]),
        figures=tuple(
            Figure(t(f["label"]), t(f["value"]), t(f.get("source"))) for f in place["figures"]
        ),
        actors=tuple(
            Actor(t(a["name"]), t(a["kind"]), t(a["description"])) for a in place["actors"]
        ),
        quotes=tuple(Quote(t(q["who"]), t(q["text"])) for q in place["quotes"]),
        press=Press(t(press["source"]), t(press["date"]), t(press["headline"]), t(press["text"])),
        budget_amount=int(budget["amount"]),
        budget_period=t(budget["period"]),
        budget_detail=t(budget.get("detail")),
    )
    steps = tuple(
        Step(
            number=index + 1,
            id=step["id"],
            title=t(step["title"]),
            intro=t(step["intro"]),
            fields=tuple(
                Field(f["id"], t(f["label"]), t(f["help"]), f.get("type", TEXT), f.get("words"))
                for f in step["fields"]
            ),
            dilemmas=tuple(
                Dilemma(
                    id=d["id"],
                    step=step["id"],
                    situation=t(d["situation"]),
                    criteria=tuple(d["criteria"]),
                    options=tuple(
                        Option(o["id"], t(o["text"]), t(o["feedback"]), dict(o["scores"]))
                        for o in d["options"]
                    ),
                )
                for d in step.get("dilemmas", ())
            ),
        )
        for index, step in enumerate(content["steps"])
    )
    return DslBrief(
        slug=content["slug"],
        title=t(content["title"]),
        summary=t(content["summary"]),
        languages=languages,
        training_unit=content.get("training_unit", ""),
        framework_code=content["framework"]["code"],
        framework_version=int(content["framework"]["version"]),
        estimated_minutes=content.get("estimated_minutes"),
        alpha=Decimal(str(content.get("alpha", DEFAULT_ALPHA))),
        role=t(content["role"]),
        team_sizes=tuple(content["team_sizes"]),
        territory=territory,
        steps=steps,
        criteria=tuple(rubric_criterion_read(item, t) for item in content["criteria"]),
    )
