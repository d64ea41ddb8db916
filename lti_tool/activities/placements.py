"""Binding a resource link (a placement in a course) to an activity version.

Three ways in, one service: the deep-linking catalogue, the trainer's "bind this link"
screen for a link a teacher added by hand, and the launch's custom parameter
``activity=<slug>[@<version>]`` (Moodle custom parameters, and what our deep-linking
response puts in each content item).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from lti_tool.activities.models import Activity, ActivityVersion, Placement
from lti_tool.core.exceptions import NotFound, ValidationFailed
from lti_tool.lti.models import LtiUser, ResourceLink

CUSTOM_PARAMETER = "activity"
# Placement options carried next to it by our deep-linking content items.
ATTEMPTS_PARAMETER = "attempts"
COUNTING_PARAMETER = "counting"
DUE_PARAMETER = "due"
MAX_ATTEMPTS = 100
_REFERENCE = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]{0,99})(?:@(?P<version>\d{1,6}))?$")


def activity_reference(version: ActivityVersion) -> str:
    """What a content item's custom parameter carries: ``<slug>@<version>``."""
    return f"{version.activity.slug}@{version.version}"


def activity_version_resolve(reference: str) -> ActivityVersion:
    """``slug`` (latest published version) or ``slug@N`` (that version)."""
    match = _REFERENCE.match(reference.strip())
    if match is None:
        raise ValidationFailed(
            _(
                "Référence d'activité illisible : « %(reference)s » (attendu : identifiant ou "
                "identifiant@version)."
            )
            % {"reference": reference}
        )
    activity = Activity.objects.filter(slug=match["slug"]).first()
    if activity is None:
        raise NotFound(
            _("Aucune activité « %(slug)s » n'est publiée dans Atelier.") % {"slug": match["slug"]}
        )
    versions = activity.versions.select_related("activity")
    if match["version"]:
        version = versions.filter(version=int(match["version"])).first()
        if version is None:
            raise NotFound(
                _("L'activité « %(slug)s » n'a pas de version %(version)s.")
                % {"slug": activity.slug, "version": match["version"]}
            )
        return version
    latest = versions.order_by("-version").first()
    if latest is None:
        raise NotFound(
            _("L'activité « %(slug)s » n'a aucune version publiée.") % {"slug": activity.slug}
        )
    return latest


def link_activity_kind(*, resource_link_pk: int) -> str | None:
    """The kind of activity a link holds: its placement's, or, before it is bound, the
    kind its ``activity`` custom parameter names; None when neither says (a bad reference
    is explained to the trainer on the course page, not here)."""
    placement = (
        Placement.objects.filter(resource_link_id=resource_link_pk)
        .select_related("activity_version__activity")
        .first()
    )
    if placement is not None:
        return str(placement.activity_version.activity.kind)
    link = ResourceLink.objects.filter(pk=resource_link_pk).first()
    reference = str(link.custom.get(CUSTOM_PARAMETER, "")).strip() if link else ""
    if not reference:
        return None
    try:
        return str(activity_version_resolve(reference).activity.kind)
    except (NotFound, ValidationFailed):
        return None


@transaction.atomic
def placement_bind(
    *,
    resource_link: ResourceLink,
    activity_version: ActivityVersion,
    actor: LtiUser | None = None,
    attempts_allowed: int = 0,
    counting: str = Placement.Counting.FIRST,
    due_at: datetime | None = None,
    disabled_domains: list[str] | None = None,
) -> Placement:
    """Bind (or rebind) a link. Rebinding to another activity is refused once students have
    attempts: their grades must keep pointing at what they played."""
    if counting not in Placement.Counting.values:
        raise ValidationFailed(
            _("Règle de tentative inconnue : %(counting)s.") % {"counting": counting}
        )
    disabled = [d for d in (disabled_domains or []) if d in activity_version.domains]
    if disabled and len(disabled) >= len(activity_version.domains):
        raise ValidationFailed(_("Au moins un domaine de compétences doit rester évalué."))
    placement = Placement.objects.select_for_update().filter(resource_link=resource_link).first()
    if placement is not None and placement.activity_version_id != activity_version.pk:
        same_activity = placement.activity_version.activity_id == activity_version.activity_id
        if placement.attempts.exists() and not same_activity:
            raise ValidationFailed(
                _(
                    "Des étudiant·es ont déjà commencé cette activité : elle ne peut plus être "
                    "remplacée par une autre. Créez une nouvelle activité dans Moodle."
                )
            )
    placement = placement or Placement(resource_link=resource_link)
    placement.activity_version = activity_version
    placement.attempts_allowed = attempts_allowed
    placement.counting = counting
    placement.due_at = due_at
    placement.disabled_domains = disabled
    placement.bound_by = actor
    placement.save()
    return placement


@dataclass(frozen=True)
class PlacementOptions:
    """A placement's settings as the deep-linking catalogue writes them into the content
    item's custom parameters (attempts, counting, due) and the launch reads them back."""

    attempts_allowed: int = 0
    counting: str = Placement.Counting.FIRST
    due_at: datetime | None = None

    def as_custom(self) -> dict[str, str]:
        custom = {ATTEMPTS_PARAMETER: str(self.attempts_allowed), COUNTING_PARAMETER: self.counting}
        if self.due_at is not None:
            custom[DUE_PARAMETER] = self.due_at.isoformat()
        return custom


def _custom_attempts(raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_ATTEMPTS:
        raise ValidationFailed(
            _(
                "Paramètre « %(name)s=%(raw)s » illisible : un nombre entier de 0 (illimité) à "
                "%(max)s est attendu. Corrigez-le dans les réglages de l'activité."
            )
            % {"name": ATTEMPTS_PARAMETER, "raw": raw, "max": MAX_ATTEMPTS}
        )
    return int(raw)


def _custom_due(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        due = parse_datetime(raw)
    except ValueError:  # well formed but impossible (month 13)
        due = None
    if due is None:
        raise ValidationFailed(
            _(
                "Paramètre « %(name)s=%(raw)s » illisible : une date ISO 8601 est attendue "
                "(2026-12-01T18:00:00+01:00). Corrigez-le dans les réglages de l'activité."
            )
            % {"name": DUE_PARAMETER, "raw": raw}
        )
    return due if timezone.is_aware(due) else timezone.make_aware(due)


def placement_options_from_custom(custom: Mapping[str, object]) -> PlacementOptions:
    """Read ``attempts``, ``counting`` and ``due`` (each optional) from custom parameters."""
    attempts = str(custom.get(ATTEMPTS_PARAMETER, "")).strip()
    counting = str(custom.get(COUNTING_PARAMETER, "")).strip() or Placement.Counting.FIRST
    if counting not in Placement.Counting.values:
        raise ValidationFailed(
            _(
                "Paramètre « %(name)s=%(raw)s » inconnu : first, best ou last est attendu. "
                "Corrigez-le dans les réglages de l'activité."
            )
            % {"name": COUNTING_PARAMETER, "raw": counting}
        )
    return PlacementOptions(
        attempts_allowed=_custom_attempts(attempts) if attempts else 0,
        counting=counting,
        due_at=_custom_due(str(custom.get(DUE_PARAMETER, "")).strip()),
    )


def placement_bind_from_custom(
    *, resource_link: ResourceLink, actor: LtiUser | None = None
) -> Placement | None:
    """Bind an unbound link from its launch's ``activity`` custom parameter, if any, with
    the options the deep-linking response put next to it."""
    existing = Placement.objects.filter(resource_link=resource_link).first()
    if existing is not None:
        return existing
    reference = str(resource_link.custom.get(CUSTOM_PARAMETER, "")).strip()
    if not reference:
        return None
    options = placement_options_from_custom(resource_link.custom)
    return placement_bind(
        resource_link=resource_link,
        activity_version=activity_version_resolve(reference),
        actor=actor,
        attempts_allowed=options.attempts_allowed,
        counting=options.counting,
        due_at=options.due_at,
    )
