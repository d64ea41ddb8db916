"""The sections of the preparation sheet, and the sheet a posted form holds (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from lti_tool.core.exceptions import ValidationFailed

# --- sections ---------------------------------------------------------------------------

PLAN = "plan"
PLAN_ROWS_MAX = 30
PLAN_TITLE_MAX = 200
PLAN_TECHNIQUE_MAX = 500
PLAN_DURATION_MAX = 240  # minutes; a co-animated session lasts 30 min to 2 h
COMMENT_MAX = 3000


@dataclass(frozen=True)
class Section:
    key: str
    label: Promise
    help: Promise
    kind: Literal["text", "plan"]
    max_length: int  # characters for a text, rows for the plan


SECTIONS: tuple[Section, ...] = (
    Section(
        "objectives",
        _lazy("Objectif général et objectifs opérationnels"),
        _lazy(
            "Ce que la séance vise pour les participant·es (objectif général), puis ce qu'ils "
            "et elles sauront ou pourront faire à la fin (objectifs opérationnels, vérifiables)."
        ),
        "text",
        3000,
    ),
    Section(
        "public",
        _lazy("Public et contraintes"),
        _lazy(
            "Qui vient, combien, leurs besoins (langue, audition, enfants…), le lieu, la durée, "
            "le mandat de chaque institution et ce qu'elle peut promettre."
        ),
        "text",
        3000,
    ),
    Section(
        PLAN,
        _lazy("Déroulé minuté"),
        _lazy(
            "Une ligne par séquence : durée, titre, qui anime, qui soutient (temps, écrit, "
            "observation du groupe), technique ou support. Chaque co-animateur·rice anime au "
            "moins une séquence."
        ),
        "plan",
        PLAN_ROWS_MAX,
    ),
    Section(
        "techniques",
        _lazy("Techniques et supports"),
        _lazy(
            "Techniques d'animation (tour de table, photolangage, travail en binômes…) et "
            "supports (visuels, langage simple, écrits remis), adaptés au public."
        ),
        "text",
        3000,
    ),
    Section(
        "rules",
        _lazy("Règles de groupe proposées"),
        _lazy(
            "Le cadre que vous proposerez au groupe : confidentialité, écoute, droit de ne pas "
            "parler, horaires, téléphones…"
        ),
        "text",
        2000,
    ),
    Section(
        "risks",
        _lazy("Risques et plan B"),
        _lazy(
            "Ce qui peut mal tourner (monopolisation, silence, conflit, révélation personnelle, "
            "retard…) et ce que vous ferez alors."
        ),
        "text",
        3000,
    ),
    Section(
        "signals",
        _lazy("Signaux convenus et gestion des désaccords"),
        _lazy(
            "Vos signes pour passer la main, demander de l'aide, accélérer ; comment vous "
            "gérerez un désaccord sans vous contredire devant le groupe."
        ),
        "text",
        2000,
    ),
    Section(
        "evaluation",
        _lazy("Évaluation de la séance avec les participant·es"),
        _lazy(
            "Comment les participant·es diront ce qu'ils et elles retirent de la séance "
            "(technique, moment, questions) et comment vous en tiendrez compte."
        ),
        "text",
        2000,
    ),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)
_BY_KEY = {s.key: s for s in SECTIONS}


def section_of(key: str) -> Section | None:
    return _BY_KEY.get(key)


def section_label(key: str) -> str:
    section = _BY_KEY.get(key)
    return str(section.label) if section else _("l'ensemble de la fiche")


def fields_normalised(fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every section present, with its empty value when missing (old or new snapshots)."""
    fields = fields or {}
    return {
        s.key: list(fields.get(s.key) or []) if s.kind == "plan" else str(fields.get(s.key) or "")
        for s in SECTIONS
    }


# --- reading a posted form (pure) -----------------------------------------------------

_ROW_ID = re.compile(r"^[a-z0-9]{1,16}$")
FormData = Mapping[str, Sequence[str]]


def _first(data: FormData, name: str) -> str:
    values = data.get(name) or [""]
    return values[0]


def _plan_row_from_form(data: FormData, row_id: str, members: set[int]) -> dict[str, Any] | None:
    prefix = f"plan-{row_id}-"
    if _first(data, prefix + "delete"):
        return None
    title = _first(data, prefix + "title").strip()
    technique = _first(data, prefix + "technique").strip()
    duration_raw = _first(data, prefix + "duration").strip()
    lead_raw = _first(data, prefix + "lead").strip()
    support_raw = [v for v in data.get(prefix + "support") or [] if v]
    if not (title or technique or duration_raw or lead_raw or support_raw):
        return None  # a spare blank row
    if duration_raw and not (duration_raw.isdigit() and int(duration_raw) <= PLAN_DURATION_MAX):
        raise ValidationFailed(
            _(
                "Déroulé minuté : la durée de « %(title)s » doit être un nombre de minutes (0 à %(max)s)."
            )
            % {"title": title or "…", "max": PLAN_DURATION_MAX},
            extra={"section": PLAN},
        )
    if len(title) > PLAN_TITLE_MAX or len(technique) > PLAN_TECHNIQUE_MAX:
        raise ValidationFailed(
            _("Déroulé minuté : le titre ou la technique de « %(title)s » est trop long.")
            % {"title": title[:40]},
            extra={"section": PLAN},
        )
    lead = int(lead_raw) if lead_raw.isdigit() and int(lead_raw) in members else None
    support = sorted(
        {int(v) for v in support_raw if v.isdigit() and int(v) in members and int(v) != lead}
    )
    return {
        "id": row_id,
        "duration": int(duration_raw) if duration_raw else None,
        "title": title,
        "lead": lead,
        "support": support,
        "technique": technique,
    }


def fields_from_form(data: FormData, *, members: Iterable[int]) -> dict[str, Any]:
    """The sheet a form posts (``request.POST.lists()``): text sections ``s-<key>``, plan
    rows listed by ``plan-id`` in order, each row's inputs ``plan-<id>-<name>``. Leads and
    supporters that are not members of the team are dropped; too long a text is refused."""
    member_ids = set(members)
    fields: dict[str, Any] = {}
    for section in SECTIONS:
        if section.kind == "plan":
            ids = [i for i in dict.fromkeys(data.get("plan-id") or []) if _ROW_ID.match(i)]
            rows = [_plan_row_from_form(data, row_id, member_ids) for row_id in ids]
            fields[PLAN] = [row for row in rows if row is not None]
            if len(fields[PLAN]) > PLAN_ROWS_MAX:
                raise ValidationFailed(
                    _("Le déroulé minuté compte au plus %(max)s séquences.")
                    % {"max": PLAN_ROWS_MAX},
                    extra={"section": PLAN},
                )
            continue
        text = _first(data, f"s-{section.key}").replace("\r\n", "\n")
        if len(text) > section.max_length:
            raise ValidationFailed(
                _("« %(label)s » dépasse %(max)s caractères : raccourcissez-le.")
                % {"label": section.label, "max": section.max_length},
                extra={"section": section.key},
            )
        fields[section.key] = text
    return fields


def leads_missing(plan: Sequence[Mapping[str, Any]], members: Iterable[int]) -> list[int]:
    """Co-animators who lead no sequence yet (domain.md §3.5: each leads at least one)."""
    leads = {row.get("lead") for row in plan}
    return [m for m in members if m not in leads]
