"""roster_sync: members who never launched become users and memberships of the course,
idempotently, without downgrading what launches told us (lti/roster.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.demo.models import DemoEnrolment
from lti_tool.demo.selectors import platform_course
from lti_tool.lti import tasks
from lti_tool.lti.ags.errors import AgsPermanentError
from lti_tool.lti.constants import MemberStatus, Role
from lti_tool.lti.models import Context, Group, LtiUser, Membership, RosterSync
from lti_tool.lti.nrps import Member, Roster
from lti_tool.lti.roster import (
    group_create,
    roster_contexts_recent,
    roster_store,
    roster_sync,
    roster_sync_request,
)
from tests.grading.factories import launch, other_course

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def course(demo: Any) -> Context:
    """The demo course as the tool knows it after the trainer's first launch."""
    return launch(demo, "trainer").context


def _enrolled(demo: Any) -> int:
    return DemoEnrolment.objects.filter(course=platform_course(demo.platform)).count()


def test_students_who_never_launched_join_the_course_with_full_roles(
    demo: Any, course: Context
) -> None:
    report = roster_sync(context=course, page_size=2)

    assert report.members == _enrolled(demo) and report.pages > 2 and not report.cached
    hugo = LtiUser.objects.get(registration=demo.registration, sub=str(demo.user("hugo.petit").pk))
    assert (hugo.given_name, hugo.family_name, hugo.last_launch_at) == ("Hugo", "Petit", None)
    membership = Membership.objects.get(context=course, lti_user=hugo)
    assert membership.source == Membership.Source.NRPS
    assert membership.roles == [Role.LEARNER] and membership.is_student
    assert not membership.is_trainer
    assert Membership.objects.filter(context=course).count() == _enrolled(demo)
    sync = RosterSync.objects.get(context=course)
    assert sync.synced_at == report.synced_at and sync.members_count == _enrolled(demo)


def test_a_second_sync_changes_nothing(demo: Any, course: Context) -> None:
    roster_sync(context=course, page_size=3)
    before = list(Membership.objects.filter(context=course).values().order_by("pk"))
    users = LtiUser.objects.count()

    again = roster_sync(context=course, page_size=3, max_age_seconds=0)

    assert not again.cached
    assert (again.users_created, again.users_updated) == (0, 0)
    assert (again.memberships_created, again.memberships_updated) == (0, 0)
    assert again.memberships_removed == 0
    assert LtiUser.objects.count() == users
    assert list(Membership.objects.filter(context=course).values().order_by("pk")) == before


def test_a_refresh_within_minutes_answers_from_the_last_read(demo: Any, course: Context) -> None:
    first = roster_sync(context=course)
    second = roster_sync(context=course)
    assert second.cached and second.synced_at == first.synced_at
    assert second.members == first.members


def test_a_launch_seen_user_keeps_their_launch_roles_and_names(demo: Any, course: Context) -> None:
    admin = launch(demo, "nadia.roussel")  # site admin: Administrator + Instructor
    launched_roles = Membership.objects.get(context=course, lti_user=admin.lti_user).roles
    assert Role.INSTITUTION_ADMINISTRATOR in launched_roles
    platform_user = demo.user("nadia.roussel")
    platform_user.given_name = "Nadège"
    platform_user.save()

    roster_sync(context=course)

    membership = Membership.objects.get(context=course, lti_user=admin.lti_user)
    assert membership.source == Membership.Source.LAUNCH
    assert membership.roles == launched_roles and membership.is_trainer
    admin.lti_user.refresh_from_db()
    assert admin.lti_user.given_name == "Nadia"


def test_a_student_unenrolled_on_the_platform_leaves_the_roster(demo: Any, course: Context) -> None:
    roster_sync(context=course)
    hugo = demo.user("hugo.petit")
    DemoEnrolment.objects.filter(user=hugo).delete()

    report = roster_sync(context=course, max_age_seconds=0)

    assert report.memberships_removed == 1
    assert not Membership.objects.filter(context=course, lti_user__sub=str(hugo.pk)).exists()


def test_inactive_and_deleted_members_lose_roster_memberships_but_keep_launch_ones(
    demo: Any, course: Context
) -> None:
    lea = launch(demo, "student")
    roster_sync(context=course)
    registration = demo.registration
    hugo_sub, lea_sub = str(demo.user("hugo.petit").pk), lea.lti_user.sub
    roster = Roster(
        members=[
            Member(user_id=hugo_sub, roles=(Role.LEARNER,), status=MemberStatus.INACTIVE),
            Member(user_id=lea_sub, roles=(Role.LEARNER,), status=MemberStatus.DELETED),
        ],
        pages=1,
    )

    report = roster_store(context=course, registration=registration, roster=roster)

    assert report.inactive == 2
    assert not Membership.objects.filter(context=course, lti_user__sub=hugo_sub).exists()
    kept = Membership.objects.get(context=course, lti_user=lea.lti_user)
    assert kept.source == Membership.Source.LAUNCH
    assert sorted(RosterSync.objects.get(context=course).inactive_subs) == sorted(
        [hugo_sub, lea_sub]
    )


def test_platform_groups_are_kept_for_the_role_plays(demo: Any, course: Context) -> None:
    roster = Roster(
        members=[
            Member(user_id="g1", roles=(Role.LEARNER,), name="Un", group_ids=("trio-a",)),
            Member(user_id="g2", roles=(Role.LEARNER,), name="Deux", group_ids=("trio-a",)),
            Member(user_id="g3", roles=(Role.LEARNER,), name="Trois", group_ids=("trio-b",)),
        ],
        pages=1,
    )
    roster_store(context=course, registration=demo.registration, roster=roster)
    roster_store(context=course, registration=demo.registration, roster=roster)

    groups = {g.external_id: g for g in Group.objects.filter(context=course)}
    assert set(groups) == {"trio-a", "trio-b"}
    assert groups["trio-a"].source == Group.Source.NRPS
    assert sorted(groups["trio-a"].members.values_list("sub", flat=True)) == ["g1", "g2"]


def test_a_platform_refusal_is_recorded_for_the_dashboard(demo: Any, course: Context) -> None:
    Context.objects.filter(pk=course.pk).update(
        nrps_memberships_url=course.nrps_memberships_url.replace("/nrps/", "/nrps/9")
    )
    course.refresh_from_db()
    with pytest.raises(AgsPermanentError):
        roster_sync(context=course)
    sync = RosterSync.objects.get(context=course)
    assert sync.failed_at is not None and sync.last_error and sync.synced_at is None


def test_the_schedule_reads_the_courses_launched_lately(demo: Any, course: Context) -> None:
    assert roster_contexts_recent() == [course.pk]
    assert tasks.roster_sync(course.pk) == f"{_enrolled(demo)} members"
    assert tasks.roster_sync(course.pk, 3600) == "cached"


def test_opening_a_course_with_a_roster_never_read_asks_a_worker_once(course: Context) -> None:
    assert roster_sync_request(context=course) is True
    assert roster_sync_request(context=course) is False  # asked a moment ago


def test_a_fresh_roster_or_a_course_without_nrps_asks_nothing(course: Context) -> None:
    roster_sync(context=course)
    assert roster_sync_request(context=course) is False
    Context.objects.filter(pk=course.pk).update(nrps_memberships_url="")
    course.refresh_from_db()
    RosterSync.objects.filter(context=course).delete()
    assert roster_sync_request(context=course) is False


def test_a_trainer_groups_enrolled_students_for_a_role_play(demo: Any, course: Context) -> None:
    roster_sync(context=course)
    lea, hugo = (
        LtiUser.objects.get(sub=str(demo.user(who).pk)) for who in ("student", "hugo.petit")
    )
    group = group_create(context=course, name=" Trio A ", members=[lea, hugo])
    assert (group.name, group.source) == ("Trio A", Group.Source.ATELIER)
    assert set(group.members.all()) == {lea, hugo}
    with pytest.raises(ValidationFailed, match="existe déjà"):
        group_create(context=course, name="Trio A", members=[lea])
    stranger = launch(demo, "emma.roux", link=other_course(demo)).lti_user
    with pytest.raises(ValidationFailed, match="pas inscrites"):
        group_create(context=course, name="Trio B", members=[lea, stranger])


def test_staff_see_roster_reads_and_groups_in_the_admin(
    demo: Any, course: Context, admin_client: Any
) -> None:
    roster_sync(context=course)
    roster_store(
        context=course,
        registration=demo.registration,
        roster=Roster(
            members=[Member(user_id="g1", roles=(Role.LEARNER,), group_ids=("trio-a",))], pages=1
        ),
    )
    rosters = admin_client.get(reverse("admin:lti_rostersync_changelist"))
    groups = admin_client.get(reverse("admin:lti_group_changelist"))
    assert rosters.status_code == 200 and str(course) in rosters.content.decode()
    assert groups.status_code == 200 and "trio-a" in groups.content.decode()
