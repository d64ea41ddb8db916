"""The course roster from NRPS: who is enrolled, including those who never launched.

``roster_sync`` reads every page of the memberships (nrps.py) outside any transaction, then
writes in one: LtiUser (+ Django user) per member, Membership(source=nrps) with the short
roles expanded, and the platform's course groups when the members carry them. It is
idempotent, and it never downgrades what a launch told us: a launch carries full roles and
the user's own claims, so a launch-seen user keeps their names and a launch membership
keeps its roles.

Members reported Inactive or Deleted (NRPS 2.0 §2.4), and members no longer listed, lose
their roster-only membership; a membership from a launch stays (their work stays visible
to the trainer) and the sub is kept in ``RosterSync.inactive_subs`` for the dashboard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.lti.access_tokens import cache_lock
from lti_tool.lti.ags.errors import AgsError
from lti_tool.lti.constants import LEARNER_ROLES, TRAINER_ROLES
from lti_tool.lti.models import Context, Group, LtiUser, Membership, Registration, RosterSync
from lti_tool.lti.nrps import Member, NrpsNotAvailable, Roster, memberships_fetch

logger = logging.getLogger(__name__)

# The on-demand refresh answers from the last read when it is this recent.
ROSTER_FRESH_SECONDS = 5 * 60
# The schedule (config/settings/celery.py) reads the rosters of courses launched lately.
ROSTER_RECENT_DAYS = 30
# A roster older than this is read again in the background when a trainer opens the
# dashboard (the schedule in config/settings/celery.py runs every 6 h as well).
ROSTER_STALE_SECONDS = 6 * 3600
# Members per NRPS page: a large course is read in several short requests.
ROSTER_PAGE_SIZE = 100


@dataclass(frozen=True)
class RosterReport:
    """What one sync did (or, with ``cached``, that it answered from the last read)."""

    context_id: int
    synced_at: datetime | None
    members: int = 0
    pages: int = 0
    users_created: int = 0
    users_updated: int = 0
    memberships_created: int = 0
    memberships_updated: int = 0
    memberships_removed: int = 0
    inactive: int = 0
    groups: int = 0
    cached: bool = False


def roster_is_fresh(*, context: Context, seconds: int = ROSTER_FRESH_SECONDS) -> bool:
    sync = RosterSync.objects.filter(context=context).first()
    return bool(
        sync and sync.synced_at and sync.synced_at >= timezone.now() - timedelta(seconds=seconds)
    )


def roster_sync(
    *,
    context: Context,
    max_age_seconds: int = ROSTER_FRESH_SECONDS,
    page_size: int = ROSTER_PAGE_SIZE,
) -> RosterReport:
    """Read the course's members through NRPS and store them (see module docstring).

    Answers from the last read when it is younger than ``max_age_seconds`` (0: always
    read). Raises ``NrpsNotAvailable`` when the launches gave no memberships URL and an
    ``AgsError`` when the platform fails; the failure is recorded on ``RosterSync``.
    """
    registration = context.deployment.registration
    with cache_lock(f"lti:roster:{context.pk}", ttl=120, wait=30):
        # Another request may have just read it while we waited for the lock.
        sync = RosterSync.objects.filter(context=context).first()
        fresh_since = timezone.now() - timedelta(seconds=max_age_seconds)
        if max_age_seconds and sync and sync.synced_at and sync.synced_at >= fresh_since:
            return RosterReport(
                context_id=context.pk,
                synced_at=sync.synced_at,
                members=sync.members_count,
                pages=sync.pages,
                inactive=len(sync.inactive_subs),
                cached=True,
            )
        try:
            roster = memberships_fetch(
                registration, context.nrps_memberships_url, page_size=page_size
            )
        except AgsError as error:
            _failure_record(context=context, error=error)
            raise
        return roster_store(context=context, registration=registration, roster=roster)


def roster_sync_request(*, context: Context) -> bool:
    """Ask a worker to read a roster never read or older than ``ROSTER_STALE_SECONDS``
    (at most once per few minutes per course); True when a read was queued."""
    from lti_tool.lti.tasks import roster_sync as roster_sync_task  # tasks import this module

    if not context.nrps_memberships_url:
        return False
    if roster_is_fresh(context=context, seconds=ROSTER_STALE_SECONDS):
        return False
    if not cache.add(f"lti:roster:requested:{context.pk}", 1, timeout=ROSTER_FRESH_SECONDS):
        return False  # already asked a moment ago
    roster_sync_task.delay_on_commit(context.pk, ROSTER_FRESH_SECONDS)
    return True


def _failure_record(*, context: Context, error: AgsError) -> None:
    logger.warning("roster sync failed for context %s: %s", context.pk, error)
    RosterSync.objects.update_or_create(
        context=context, defaults={"failed_at": timezone.now(), "last_error": error.message}
    )


def _lti_user_upsert(
    *, registration: Registration, member: Member, users: dict[str, LtiUser]
) -> tuple[LtiUser, str]:
    """Create the user of a member who never launched, or fill in what we lack."""
    lti_user = users.get(member.user_id)
    names = {
        "name": member.name,
        "given_name": member.given_name,
        "family_name": member.family_name,
        "email": member.email,
    }
    if lti_user is None:
        user = get_user_model().objects.create_user(
            username=f"lti-{registration.pk}-{member.user_id}"[:150], password=None
        )
        lti_user = LtiUser.objects.create(
            registration=registration, sub=member.user_id, user=user, **names
        )
        return lti_user, "created"
    launched = lti_user.last_launch_at is not None
    changed = [
        attribute
        for attribute, value in names.items()
        # A launch's own claims win; the roster only fills blanks for launch-seen users.
        if value
        and getattr(lti_user, attribute) != value
        and (not launched or not getattr(lti_user, attribute))
    ]
    for attribute in changed:
        setattr(lti_user, attribute, names[attribute])
    if changed:
        lti_user.save(update_fields=[*changed, "updated_at"])
        return lti_user, "updated"
    return lti_user, ""


def _membership_upsert(
    *, context: Context, lti_user: LtiUser, member: Member, existing: Membership | None
) -> str:
    roles = list(member.roles)
    flags = {
        "roles": roles,
        "is_trainer": bool(TRAINER_ROLES.intersection(roles)),
        "is_student": bool(LEARNER_ROLES.intersection(roles)),
    }
    if existing is None:
        Membership.objects.create(
            context=context, lti_user=lti_user, source=Membership.Source.NRPS, **flags
        )
        return "created"
    if existing.source == Membership.Source.LAUNCH:
        return ""  # the launch's full roles (site admins…) are better than short names
    if all(getattr(existing, k) == v for k, v in flags.items()):
        return ""
    Membership.objects.filter(pk=existing.pk).update(**flags, updated_at=timezone.now())
    return "updated"


def _groups_store(*, context: Context, members: dict[str, tuple[Member, LtiUser]]) -> int:
    """Platform groups (course groups extension) mirrored as Group(source=nrps)."""
    by_group: dict[str, list[LtiUser]] = {}
    for member, lti_user in members.values():
        for group_id in member.group_ids:
            by_group.setdefault(group_id, []).append(lti_user)
    for group_id, lti_users in by_group.items():
        group, _ = Group.objects.get_or_create(
            context=context,
            external_id=group_id,
            defaults={"name": group_id, "source": Group.Source.NRPS},
        )
        group.members.set(lti_users)
    # Platform groups nobody belongs to any more are emptied, not deleted: a role-play
    # may still point at them.
    for group in Group.objects.filter(context=context, source=Group.Source.NRPS).exclude(
        external_id__in=list(by_group)
    ):
        group.members.clear()
    return len(by_group)


@transaction.atomic
def roster_store(*, context: Context, registration: Registration, roster: Roster) -> RosterReport:
    """Write a roster read from the platform (idempotent: the same roster twice changes
    nothing the second time)."""
    users = {
        u.sub: u
        for u in LtiUser.objects.filter(
            registration=registration, sub__in=[m.user_id for m in roster.members]
        )
    }
    memberships = {
        m.lti_user.sub: m
        for m in Membership.objects.select_related("lti_user").filter(context=context)
    }
    counts = {"users_created": 0, "users_updated": 0, "created": 0, "updated": 0}
    active: dict[str, tuple[Member, LtiUser]] = {}
    inactive: list[str] = []
    for member in roster.members:
        if not member.active:
            inactive.append(member.user_id)
            continue
        lti_user, user_change = _lti_user_upsert(
            registration=registration, member=member, users=users
        )
        if user_change:
            counts[f"users_{user_change}"] += 1
        change = _membership_upsert(
            context=context,
            lti_user=lti_user,
            member=member,
            existing=memberships.get(member.user_id),
        )
        if change:
            counts[change] += 1
        active[member.user_id] = (member, lti_user)
    # Roster-only memberships of people no longer active in the course go; launch ones stay.
    gone = [
        m.pk
        for sub, m in memberships.items()
        if sub not in active and m.source == Membership.Source.NRPS
    ]
    Membership.objects.filter(pk__in=gone).delete()
    groups = _groups_store(context=context, members=active)
    now = timezone.now()
    RosterSync.objects.update_or_create(
        context=context,
        defaults={
            "synced_at": now,
            "members_count": len(active),
            "pages": roster.pages,
            "inactive_subs": sorted(inactive),
            "failed_at": None,
            "last_error": "",
        },
    )
    return RosterReport(
        context_id=context.pk,
        synced_at=now,
        members=len(active),
        pages=roster.pages,
        users_created=counts["users_created"],
        users_updated=counts["users_updated"],
        memberships_created=counts["created"],
        memberships_updated=counts["updated"],
        memberships_removed=len(gone),
        inactive=len(inactive),
        groups=groups,
    )


def roster_contexts_recent(*, days: int = ROSTER_RECENT_DAYS) -> list[int]:
    """Courses launched in the last ``days`` days whose launches gave an NRPS URL."""
    since = timezone.now() - timedelta(days=days)
    return list(
        Context.objects.filter(updated_at__gte=since, deployment__registration__active=True)
        .exclude(nrps_memberships_url="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def group_create(*, context: Context, name: str, members: list[LtiUser]) -> Group:
    """A trainer's group for a role-play (members must belong to the course)."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Donnez un nom au groupe."))
    enrolled = set(
        Membership.objects.filter(context=context, lti_user__in=members).values_list(
            "lti_user_id", flat=True
        )
    )
    strangers = [m.display_name for m in members if m.pk not in enrolled]
    if strangers:
        raise ValidationFailed(
            _("Ces personnes ne sont pas inscrites à ce cours : %(names)s.")
            % {"names": ", ".join(strangers)}
        )
    if Group.objects.filter(context=context, source=Group.Source.ATELIER, name=name).exists():
        raise ValidationFailed(
            _("Un groupe « %(name)s » existe déjà dans ce cours.") % {"name": name}
        )
    group = Group.objects.create(context=context, name=name, source=Group.Source.ATELIER)
    group.members.set(members)
    return group


__all__ = [
    "NrpsNotAvailable",
    "RosterReport",
    "group_create",
    "roster_contexts_recent",
    "roster_is_fresh",
    "roster_store",
    "roster_sync",
    "roster_sync_request",
]
