"""Reading and checking a co-animation role-play brief (format ``atelier-roleplay/1``,
data/README.md; domain.md §6).

Pure: text in, the validated plain-JSON content out (what ``ActivityVersion.content``
stores), or ``ContentInvalid`` listing every problem at once, each with its YAML line and a
French sentence an author can act on (issue 8, "Content"). The YAML reader and the checks
shared with scenarios live in ``lti_tool.activities.content_yaml``; the framework is read
through the same ``framework_lookup`` as scenarios.

Choices made for authors (documented in data/README.md):
* every criterion declares its ``scope`` (shared: one level for the whole team; individual:
  one level per student, domain.md §4.3) and all five level descriptors 0..4 (§4.2): the
  trainer grades against them and students read them as feedback;
* an incident goes to a participant's role card or, as a secret instruction, to the
  co-animator acting under one of the mandates (domain.md §6.3, CA-1 incident 3);
* hidden instructions are ordinary texts here: who may read them is decided by the views
  that show a card (its holder and the trainer only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lti_tool.activities.content_yaml import (
    SLUG,
    ContentChecker,
    FrameworkCodes,
    FrameworkLookup,
    Path,
    criterion_read,
    local_text,
    type_name,
    words,
)
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX, Criterion

FORMAT = "atelier-roleplay/1"
SUBJECT = "La fiche de jeu de rôle"
SCOPES = ("shared", "individual")
# Who gives input on a criterion (domain.md §6.2 "source of evidence"); the trainer always
# grades (§0.7), the others are inputs the trainer sees.
EVIDENCE = ("trainer", "observers", "partner", "self")
LEVELS = tuple(str(level) for level in range(RUBRIC_LEVEL_MAX + 1))
CRITERION_PREFIX = "CA-"
MANDATES_MIN, MANDATES_MAX = 1, 2
CO_ANIMATORS_MIN, CO_ANIMATORS_MAX = 2, 3
ROLE_CARDS_MAX = 15
DURATION_MIN, DURATION_MAX = 10, 480


TOP_REQUIRED = ("format", "slug", "title", "summary", "languages", "framework", "setting",
                "public", "objectives", "duration_minutes", "co_animators", "mandates",
                "role_cards", "observer_focuses", "incidents", "criteria")  # fmt: skip
TOP_OPTIONAL = ("training_unit",)
MANDATE_KEYS = ("id", "institution", "role")
CARD_KEYS = ("id", "name", "persona", "hidden")
FOCUS_KEYS = ("id", "label", "criteria")
INCIDENT_REQUIRED = ("id", "twist", "to", "when", "expected")
INCIDENT_OPTIONAL = ("criteria",)
CRITERION_REQUIRED = ("code", "domain", "competences", "weight", "scope", "evidence", "label",
                      "levels")  # fmt: skip


class _Checker(ContentChecker):
    subject = SUBJECT

    def __init__(self, lines: dict[Path, int], framework_lookup: FrameworkLookup | None) -> None:
        super().__init__(lines, framework_lookup)
        self.criteria: dict[str, Path] = {}
        self.observed: set[str] = set()  # criteria with "observers" in their evidence
        self.duration: int | None = None
        # id → path of its "id", shared by mandates and role cards: both are incident targets.
        self.targets: dict[str, Path] = {}
        self.references: list[tuple[Path, str]] = []  # (path, criterion code) to resolve
        self.observations: list[tuple[Path, str]] = []  # cited by an observer focus

    def check(self, data: Any) -> None:
        doc = self.mapping(
            data,
            (),
            required=TOP_REQUIRED,
            optional=TOP_OPTIONAL,
            what="la fiche de jeu de rôle",
        )
        if doc is None:
            return
        self.check_format(doc, FORMAT)
        if "slug" in doc:
            self.identifier(doc["slug"], ("slug",), "le slug", SLUG,
                            "minuscules, chiffres et tirets, par exemple « premiers-pas-logement »")  # fmt: skip
        self.check_languages(doc.get("languages"))
        for key, what in (
            ("title", "le titre"),
            ("summary", "le résumé"),
            ("setting", "le cadre (setting)"),
            ("public", "le public"),
        ):
            if key in doc:
                self.local(doc[key], (key,), what)
        if "training_unit" in doc:
            self.text(doc["training_unit"], ("training_unit",), "l'unité de formation")
        if "duration_minutes" in doc and self.integer(
            doc["duration_minutes"], ("duration_minutes",), "la durée (minutes)",
            low=DURATION_MIN, high=DURATION_MAX,
        ):  # fmt: skip
            self.duration = doc["duration_minutes"]
        if "co_animators" in doc:
            self.integer(doc["co_animators"], ("co_animators",),
                         "le nombre de co-animateur·rices (binôme ou trio)",
                         low=CO_ANIMATORS_MIN, high=CO_ANIMATORS_MAX)  # fmt: skip
        self.check_list_of_texts(doc.get("objectives"), ("objectives",), "un objectif")
        codes = self.check_framework(doc.get("framework"))
        self.check_criteria(doc.get("criteria"), codes)
        self.check_mandates(doc.get("mandates"))
        self.check_cards(doc.get("role_cards"))
        self.check_focuses(doc.get("observer_focuses"))
        self.check_incidents(doc.get("incidents"))
        for path, code in self.references:
            if code not in self.criteria:
                self.problem(
                    path,
                    f"le critère {code} n'est pas déclaré dans criteria "
                    f"(critères : {words(self.criteria) or 'aucun'}).",
                )
        for path, code in self.observations:
            if code in self.criteria and code not in self.observed:
                self.problem(
                    path,
                    f"le critère {code} n'est pas observable en séance (son evidence ne "
                    "comprend pas observers) : un focus d'observation ne peut pas le citer.",
                )

    # pieces

    def check_list_of_texts(self, value: Any, path: Path, what: str) -> None:
        for index, item in enumerate(self.items(value, path, "textes", low=1, high=20)):
            self.local(item, (*path, index), what)

    def check_mandates(self, value: Any) -> None:
        path: Path = ("mandates",)
        mandates = self.items(value, path, "mandat(s) institutionnel(s)",
                              low=MANDATES_MIN, high=MANDATES_MAX)  # fmt: skip
        for index, item in enumerate(mandates):
            here = (*path, index)
            mandate = self.mapping(item, here, required=MANDATE_KEYS, what="un mandat")
            if mandate is None:
                continue
            self.item_id(mandate, here, "l'identifiant du mandat", self.targets)
            if "institution" in mandate:
                self.local(mandate["institution"], (*here, "institution"), "l'institution")
            if "role" in mandate:
                self.local(mandate["role"], (*here, "role"), "le mandat des co-animateur·rices")

    def check_cards(self, value: Any) -> None:
        path: Path = ("role_cards",)
        cards = self.items(value, path, "cartes de rôle", low=1, high=ROLE_CARDS_MAX)
        for index, item in enumerate(cards):
            here = (*path, index)
            card = self.mapping(item, here, required=CARD_KEYS, what="une carte de rôle")
            if card is None:
                continue
            self.item_id(card, here, "l'identifiant de la carte", self.targets)
            if "name" in card:
                self.text(card["name"], (*here, "name"), "le nom du personnage")
            if "persona" in card:
                self.local(card["persona"], (*here, "persona"), "le personnage (partie publique)")
            if "hidden" in card:
                self.local(card["hidden"], (*here, "hidden"), "la consigne cachée")

    def check_focuses(self, value: Any) -> None:
        path: Path = ("observer_focuses",)
        seen: dict[str, Path] = {}
        for index, item in enumerate(self.items(value, path, "focus d'observation", low=1, high=6)):
            here = (*path, index)
            focus = self.mapping(item, here, required=FOCUS_KEYS, what="un focus d'observation")
            if focus is None:
                continue
            self.item_id(focus, here, "l'identifiant du focus", seen)
            if "label" in focus:
                self.local(focus["label"], (*here, "label"), "l'intitulé du focus")
            if "criteria" in focus:
                self.criterion_list(
                    focus["criteria"], (*here, "criteria"), required=True, observed=True
                )

    def criterion_list(
        self, value: Any, path: Path, *, required: bool, observed: bool = False
    ) -> None:
        if not isinstance(value, list) or (required and not value):
            self.problem(
                path,
                "criteria doit être une liste non vide de codes de critères, par exemple "
                f"[CA-CADRE, CA-REG], pas {type_name(value)}.",
            )
            return
        for position, code in enumerate(value):
            if self.text(code, (*path, position), "un code de critère"):
                self.references.append(((*path, position), code))
                if observed:
                    self.observations.append(((*path, position), code))

    def check_incidents(self, value: Any) -> None:
        path: Path = ("incidents",)
        seen: dict[str, Path] = {}
        for index, item in enumerate(self.items(value, path, "incidents", low=1, high=8)):
            here = (*path, index)
            incident = self.mapping(item, here, required=INCIDENT_REQUIRED,
                                    optional=INCIDENT_OPTIONAL, what="un incident")  # fmt: skip
            if incident is None:
                continue
            self.item_id(incident, here, "l'identifiant de l'incident", seen)
            for key, what in (
                ("twist", "le rebondissement"),
                ("expected", "le comportement attendu"),
            ):
                if key in incident:
                    self.local(incident[key], (*here, key), what)
            target: Any = incident.get("to")
            if (
                "to" in incident
                and self.text(target, (*here, "to"), "le destinataire (to)")
                and target not in self.targets
            ):
                self.problem(
                    (*here, "to"),
                    f"l'incident est confié à « {target} », qui n'est ni une carte de rôle ni "
                    f"un mandat de la fiche (possibles : {words(self.targets) or 'aucun'}).",
                )
            if "when" in incident:
                self.check_when(incident["when"], (*here, "when"))
            if "criteria" in incident:
                self.criterion_list(incident["criteria"], (*here, "criteria"), required=False)

    def check_when(self, value: Any, path: Path) -> None:
        if (
            not isinstance(value, dict)
            or len(value) != 1
            or next(iter(value)) not in ("minute", "phase")
        ):
            self.problem(
                path,
                "when s'écrit {minute: 20} (minute de la séance) ou {phase: \"clôture\"} "
                "(moment de la séance), une seule des deux.",
            )  # fmt: skip
            return
        if "minute" in value:
            self.integer(value["minute"], (*path, "minute"), "la minute de l'incident",
                         low=0, high=self.duration or DURATION_MAX)  # fmt: skip
        else:
            self.local(value["phase"], (*path, "phase"), "le moment de l'incident")

    def check_criteria(self, value: Any, codes: FrameworkCodes | None) -> None:
        path: Path = ("criteria",)
        for index, item in enumerate(self.items(value, path, "critères", low=1, high=20)):
            here = (*path, index)
            criterion = self.mapping(item, here, required=CRITERION_REQUIRED, what="un critère")
            if criterion is None:
                continue
            code = self.check_criterion_code(criterion, here, self.criteria, "CA-CADRE")
            if code is not None and not code.startswith(CRITERION_PREFIX):
                self.problem(
                    (*here, "code"),
                    f"le code {code} doit commencer par {CRITERION_PREFIX} (critères de "
                    "co-animation, domain.md §6.2).",
                )
            self.check_criterion_domain(criterion, here, codes)
            self.check_weight(criterion, here)
            if "label" in criterion:
                self.local(criterion["label"], (*here, "label"), "le libellé du critère")
            if "scope" in criterion and criterion["scope"] not in SCOPES:
                self.problem(
                    (*here, "scope"),
                    f"portée « {criterion['scope']} » inconnue : shared (une note pour toute "
                    "l'équipe) ou individual (une note par étudiant·e).",
                )
            if "evidence" in criterion:
                self.check_evidence(criterion["evidence"], (*here, "evidence"), code)
            if "levels" in criterion:
                self.check_levels(criterion["levels"], (*here, "levels"), code)

    def check_evidence(self, value: Any, path: Path, code: str | None) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(
                path,
                f"evidence doit être une liste parmi {words(EVIDENCE)}, pas {type_name(value)}.",
            )
            return
        for position, source in enumerate(value):
            if source not in EVIDENCE:
                self.problem(
                    (*path, position),
                    f"source « {source} » inconnue (sources possibles : {words(EVIDENCE)}).",
                )
        if "trainer" not in value:
            self.problem(
                path,
                "evidence doit comprendre trainer : le ou la formateur·rice note chaque critère "
                "(les autres sources sont des avis qu'il ou elle consulte).",
            )
        if "observers" in value and code is not None:
            self.observed.add(code)


# --- entry points ---------------------------------------------------------------------------


roleplay_parse = _Checker.parse
roleplay_validate = _Checker.validate


# --- reading validated content --------------------------------------------------------------


@dataclass(frozen=True)
class RolePlayCriterion:
    criterion: Criterion
    scope: str
    evidence: tuple[str, ...]
    levels: tuple[str, ...]  # descriptors of levels 0..4

    @property
    def code(self) -> str:
        return self.criterion.code

    @property
    def domain(self) -> str:
        return self.criterion.domain

    @property
    def label(self) -> str:
        return self.criterion.label

    @property
    def shared(self) -> bool:
        return self.scope == "shared"

    @property
    def observed(self) -> bool:
        return "observers" in self.evidence


@dataclass(frozen=True)
class Mandate:
    id: str
    institution: str
    role: str


@dataclass(frozen=True)
class RoleCard:
    id: str
    name: str
    persona: str  # public: everyone in the session sees it
    hidden: str  # its holder and the trainer only


@dataclass(frozen=True)
class ObserverFocus:
    id: str
    label: str
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class Incident:
    id: str
    twist: str  # shown to the recipient (and the trainer) when triggered
    to: str  # a role card id or a mandate id
    minute: int | None  # planned minute of the session, or
    phase: str  # the planned moment ("séquence eau et énergie")
    expected: str  # the trainer's only: what a level 3–4 answer looks like
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class RolePlay:
    """A validated brief, texts in one language: what every screen of the role-play reads."""

    slug: str
    title: str
    summary: str
    languages: tuple[str, ...]
    training_unit: str
    framework_code: str
    framework_version: int
    duration_minutes: int
    co_animators: int
    criteria: tuple[RolePlayCriterion, ...]
    setting: str = ""
    public: str = ""
    objectives: tuple[str, ...] = ()
    mandates: tuple[Mandate, ...] = ()
    role_cards: tuple[RoleCard, ...] = ()
    observer_focuses: tuple[ObserverFocus, ...] = ()
    incidents: tuple[Incident, ...] = ()

    @property
    def estimated_minutes(self) -> int:
        return self.duration_minutes

    def domains(self) -> list[str]:
        """Domains assessed, in the order of first appearance in the criteria."""
        return list(dict.fromkeys(c.criterion.domain for c in self.criteria))

    def criterion(self, code: str) -> RolePlayCriterion | None:
        return next((c for c in self.criteria if c.code == code), None)

    def card(self, card_id: str) -> RoleCard | None:
        return next((c for c in self.role_cards if c.id == card_id), None)

    def focus(self, focus_id: str) -> ObserverFocus | None:
        return next((f for f in self.observer_focuses if f.id == focus_id), None)

    def mandate(self, mandate_id: str) -> Mandate | None:
        return next((m for m in self.mandates if m.id == mandate_id), None)

    def incident(self, incident_id: str) -> Incident | None:
        return next((i for i in self.incidents if i.id == incident_id), None)


def roleplay_from_json(content: dict[str, Any], *, language: str = "fr") -> RolePlay:
    """A brief from validated content, texts in ``language`` when the brief has it."""
    languages = tuple(content.get("languages") or ("fr",))
    default = languages[0]
    lang = language if language in languages else default

    def t(value: Any) -> str:
        return local_text(value, lang, default)

    return RolePlay(
        slug=content["slug"],
        title=t(content["title"]),
        summary=t(content["summary"]),
        languages=languages,
        training_unit=content.get("training_unit", ""),
        framework_code=content["framework"]["code"],
        framework_version=int(content["framework"]["version"]),
        duration_minutes=int(content["duration_minutes"]),
        co_animators=int(content["co_animators"]),
        criteria=tuple(
            RolePlayCriterion(
                criterion=criterion_read(item, t),
                scope=item["scope"],
                evidence=tuple(item["evidence"]),
                levels=tuple(t(item["levels"][level]) for level in LEVELS),
            )
            for item in content["criteria"]
        ),
        setting=t(content.get("setting")),
        public=t(content.get("public")),
        objectives=tuple(t(item) for item in content.get("objectives", ())),
        mandates=tuple(
            Mandate(id=m["id"], institution=t(m["institution"]), role=t(m["role"]))
            for m in content.get("mandates", ())
        ),
        role_cards=tuple(
            RoleCard(
                id=c["id"], name=str(c["name"]), persona=t(c["persona"]), hidden=t(c["hidden"])
            )
            for c in content.get("role_cards", ())
        ),
        observer_focuses=tuple(
            ObserverFocus(id=f["id"], label=t(f["label"]), criteria=tuple(f["criteria"]))
            for f in content.get("observer_focuses", ())
        ),
        incidents=tuple(
            Incident(
                id=i["id"],
                twist=t(i["twist"]),
                to=i["to"],
                minute=i["when"].get("minute"),
                phase=t(i["when"].get("phase", "")),
                expected=t(i["expected"]),
                criteria=tuple(i.get("criteria", ())),
            )
            for i in content.get("incidents", ())
        ),
    )
