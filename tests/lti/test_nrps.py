"""NRPS client: every page of the built-in platform's memberships over real HTTP, short
role names expanded, and Link headers read whatever their quotes (shared/moodle.md, NRPS)."""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.demo.models import DemoEnrolment
from lti_tool.demo.selectors import nrps_url, platform_course
from lti_tool.lti.ags.errors import AgsPermanentError
from lti_tool.lti.constants import MemberStatus, Role
from lti_tool.lti.nrps import (
    NrpsNotAvailable,
    member_parse,
    memberships_fetch,
    memberships_page,
    next_link,
    role_uri,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _url(demo: Any) -> str:
    return nrps_url(demo.tool, platform_course(demo.platform))


def test_every_member_is_read_across_several_pages_of_two(demo: Any) -> None:
    course = platform_course(demo.platform)
    enrolled = DemoEnrolment.objects.filter(course=course).count()

    roster = memberships_fetch(demo.registration, _url(demo), page_size=2)

    assert roster.pages == (enrolled + 1) // 2 > 2
    assert len(roster.members) == enrolled
    assert len({m.user_id for m in roster.members}) == enrolled
    assert roster.context["id"] == str(course.pk)


def test_short_role_names_come_back_as_the_full_uris_launches_carry(demo: Any) -> None:
    roster = memberships_fetch(demo.registration, _url(demo), page_size=3)
    by_sub = {m.user_id: m for m in roster.members}

    trainer = by_sub[str(demo.user("trainer").pk)]
    student = by_sub[str(demo.user("student").pk)]
    assert trainer.roles == (Role.INSTRUCTOR,)
    assert student.roles == (Role.LEARNER,)
    assert student.status == MemberStatus.ACTIVE and student.active
    assert student.given_name == "Léa" and student.email.endswith("@demo.atelier.test")


def test_one_page_without_limit_has_no_next_link(demo: Any) -> None:
    page = memberships_page(demo.registration, _url(demo))
    assert page.next_url is None
    assert (
        len(page.members)
        == DemoEnrolment.objects.filter(course=platform_course(demo.platform)).count()
    )


def test_a_course_without_a_memberships_url_says_how_to_switch_nrps_on(demo: Any) -> None:
    with pytest.raises(NrpsNotAvailable) as refused:
        memberships_fetch(demo.registration, "")
    assert "Noms et rôles" in refused.value.message


def test_a_token_without_the_course_is_refused_with_a_message_for_the_trainer(demo: Any) -> None:
    # A course id the tool is not placed in: the platform answers 4xx.
    wrong = _url(demo).replace(f"/nrps/{platform_course(demo.platform).pk}/", "/nrps/999999/")
    with pytest.raises(AgsPermanentError) as refused:
        memberships_fetch(demo.registration, wrong)
    assert refused.value.status_code in (403, 404)
    assert refused.value.message


@pytest.mark.parametrize(
    "header",
    [
        '<https://moodle.test/nrps?limit=2&from=2>; rel="next"',
        "<https://moodle.test/nrps?limit=2&from=2>; rel=“next”",
        # Moodle's typographic quotes as raw UTF-8 bytes, decoded as latin-1 by http.client.
        "<https://moodle.test/nrps?limit=2&from=2>; rel=“next”".encode().decode("latin-1"),
        "<https://moodle.test/nrps?limit=2&from=2>; rel=next",
        '<https://moodle.test/nrps?limit=2>; rel="first", '
        '<https://moodle.test/nrps?limit=2&from=2>; rel="next"',
        '<https://moodle.test/nrps?limit=2&from=2>; title="suite"; REL="prev next"',
    ],
)
def test_the_next_link_is_found_whatever_its_quotes(header: str) -> None:
    assert next_link(header) == "https://moodle.test/nrps?limit=2&from=2"


@pytest.mark.parametrize(
    "header",
    [None, "", '<https://moodle.test/nrps>; rel="prev"', '<https://moodle.test/n>; rel="nextpage"'],
)
def test_no_next_link_means_the_last_page(header: str | None) -> None:
    assert next_link(header) is None


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("Learner", Role.LEARNER),
        ("Instructor", Role.INSTRUCTOR),
        ("Instructor#TeachingAssistant", Role.TEACHING_ASSISTANT),
        (Role.INSTITUTION_ADMINISTRATOR.value, Role.INSTITUTION_ADMINISTRATOR),
    ],
)
def test_role_names_expand_to_lis_vocabulary_uris(short: str, full: str) -> None:
    assert role_uri(short) == full


def test_a_member_entry_is_read_leniently_but_never_without_a_user_id() -> None:
    assert member_parse({"name": "Sans identifiant", "roles": ["Learner"]}) is None
    assert member_parse("not a member") is None
    member = member_parse(
        {
            "user_id": 42,
            "status": "inactive",
            "roles": "Learner",
            "group_enrollments": [{"group_id": "trio-a"}, {"nope": 1}, "x"],
        }
    )
    assert member is not None
    assert (member.user_id, member.status, member.active) == ("42", MemberStatus.INACTIVE, False)
    assert member.roles == () and member.group_ids == ("trio-a",)
    default = member_parse({"user_id": "7"})
    assert default is not None and default.status == MemberStatus.ACTIVE  # absent = Active
