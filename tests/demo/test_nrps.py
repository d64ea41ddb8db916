"""NRPS memberships: short role names and limit paging (shared/moodle.md, NRPS)."""

from __future__ import annotations

import re

import requests

from lti_tool.demo.constants import MediaType, Scope
from lti_tool.demo.selectors import nrps_url, platform_course


def _get(url: str, token: str, **params: str) -> requests.Response:
    return requests.get(
        url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_members_carry_short_role_names_and_the_exact_media_type(demo_tool, demo_token):
    course = platform_course(demo_tool.platform)
    response = _get(nrps_url(demo_tool, course), demo_token())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == MediaType.NRPS_MEMBERSHIP
    body = response.json()
    assert body["context"] == {"id": str(course.pk), "label": "DECESF", "title": course.title}
    roles = {m["given_name"]: m["roles"] for m in body["members"]}
    assert roles["Claire"] == ["Instructor"]
    assert roles["Léa"] == ["Learner"]
    assert len(body["members"]) == 7
    assert set(body["members"][0]) >= {
        "status",
        "name",
        "given_name",
        "family_name",
        "email",
        "user_id",
        "roles",
    }


def test_limit_pages_through_every_member_with_link_next(demo_tool, demo_token):
    token = demo_token()
    url, seen, pages = nrps_url(demo_tool, platform_course(demo_tool.platform)), [], 0
    response = _get(url, token, limit="3")
    while True:
        pages += 1
        seen += [m["user_id"] for m in response.json()["members"]]
        match = re.search(r'<([^>]+)>;\s*rel="next"', response.headers.get("Link", ""))
        if not match:
            break
        response = _get(match.group(1), token)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7


def test_a_token_without_the_nrps_scope_is_forbidden(demo_tool, demo_token):
    token = demo_token(Scope.AGS_SCORE.value)
    response = _get(nrps_url(demo_tool, platform_course(demo_tool.platform)), token)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/plain")
