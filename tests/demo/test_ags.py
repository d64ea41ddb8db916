"""AGS endpoints answer with Moodle 4.3's semantics (shared/moodle.md, AGS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from lti_tool.demo.constants import MediaType, Scope
from lti_tool.demo.models import DemoGrade, DemoLineItem, DemoResourceLink, DemoUser
from lti_tool.demo.selectors import line_item_url, platform_course, tool_line_items_url


def _scores_url(item_url: str) -> str:
    path, _sep, query = item_url.partition("?")
    return f"{path}/scores?{query}"


def _stamp(seconds: float = 0) -> str:
    return (datetime.now(tz=UTC) + timedelta(seconds=seconds)).isoformat()


@pytest.fixture
def token(demo_token) -> str:
    return demo_token()


@pytest.fixture
def item(demo_tool) -> DemoLineItem:
    return DemoLineItem.objects.filter(tool=demo_tool).order_by("pk").first()


@pytest.fixture
def student(demo_platform) -> DemoUser:
    return DemoUser.objects.get(platform=demo_platform, username="lea.bernard")


def _post_score(token: str, item_url: str, payload: dict[str, Any], media: str = MediaType.SCORE):
    return requests.post(
        _scores_url(item_url),
        data=json.dumps(payload),
        headers={"Authorization": f"Bearer {token}", "Content-Type": media},
        timeout=10,
    )


def _score(user: DemoUser, **changes: Any) -> dict[str, Any]:
    payload = {
        "userId": str(user.pk),
        "scoreGiven": 15,
        "scoreMaximum": 20,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": _stamp(-10),
        "comment": "Bon diagnostic.",
    }
    payload.update(changes)
    return payload


def test_line_item_urls_carry_the_tool_in_the_query_and_scores_go_before_it(demo_tool, item):
    url = line_item_url(demo_tool, item)
    assert url.endswith(f"/lineitems/{item.pk}/lineitem?type_id={demo_tool.pk}")
    assert _scores_url(url).endswith(f"/lineitem/scores?type_id={demo_tool.pk}")


def test_a_fully_graded_score_answers_200_with_an_empty_body_and_writes_the_grade(
    demo_tool, item, student, token
):
    response = _post_score(
        token, line_item_url(demo_tool, item), _score(student, scoreGiven=30, scoreMaximum=40)
    )
    assert response.status_code == 200
    assert response.content == b""
    grade = DemoGrade.objects.get(line_item=item, user=student)
    assert grade.grade == 15  # 30 x 20 / 40
    assert grade.comment == "Bon diagnostic."


def test_the_grade_is_clamped_to_the_column_maximum(demo_tool, item, student, token):
    _post_score(
        token, line_item_url(demo_tool, item), _score(student, scoreGiven=25, scoreMaximum=20)
    )
    assert DemoGrade.objects.get(line_item=item, user=student).grade == 20


def test_application_json_is_refused_with_415(demo_tool, item, student, token):
    response = _post_score(
        token, line_item_url(demo_tool, item), _score(student), media="application/json"
    )
    assert response.status_code == 415
    assert not DemoGrade.objects.exists()


def test_a_score_without_token_is_401_and_without_the_score_scope_is_403(
    demo_tool, item, student, demo_token
):
    url = line_item_url(demo_tool, item)
    assert _post_score("nope", url, _score(student)).status_code == 401
    readonly = demo_token(Scope.AGS_LINEITEM_READONLY.value)
    assert _post_score(readonly, url, _score(student)).status_code == 403


def test_an_older_or_equal_timestamp_is_a_conflict(demo_tool, item, student, token):
    url = line_item_url(demo_tool, item)
    first = _stamp(-10)
    assert _post_score(token, url, _score(student, timestamp=first)).status_code == 200
    # Same second, more digits: still not later at Moodle's 1-second resolution.
    same_second = first.replace("+00:00", "").rsplit(".", 1)[0] + ".999999+00:00"
    assert (
        _post_score(token, url, _score(student, timestamp=same_second, scoreGiven=1)).status_code
        == 409
    )
    assert _post_score(token, url, _score(student, timestamp=_stamp(-20))).status_code == 409
    assert DemoGrade.objects.get(line_item=item, user=student).score_given == 15
    assert (
        _post_score(token, url, _score(student, timestamp=_stamp(-5), scoreGiven=18)).status_code
        == 200
    )
    assert DemoGrade.objects.get(line_item=item, user=student).grade == 18


def test_pending_manual_clears_the_stored_grade(demo_tool, item, student, token):
    url = line_item_url(demo_tool, item)
    _post_score(token, url, _score(student, timestamp=_stamp(-10)))
    response = _post_score(
        token, url, _score(student, timestamp=_stamp(-5), gradingProgress="PendingManual")
    )
    assert response.status_code == 200
    grade = DemoGrade.objects.get(line_item=item, user=student)
    assert grade.grade is None
    assert grade.grading_progress == "PendingManual"


def test_a_score_for_a_trainer_or_a_stranger_is_a_400(demo_platform, demo_tool, item, token):
    trainer = DemoUser.objects.get(platform=demo_platform, username="claire.martin")
    url = line_item_url(demo_tool, item)
    assert _post_score(token, url, _score(trainer)).status_code == 400
    assert _post_score(token, url, _score(trainer, userId="999999")).status_code == 400


def _get(url: str, token: str, **params: str) -> requests.Response:
    return requests.get(
        url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_the_container_lists_the_tools_line_items_with_the_exact_media_type(demo_tool, token):
    response = _get(tool_line_items_url(demo_tool, platform_course(demo_tool.platform)), token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == MediaType.LINEITEM_CONTAINER
    items = response.json()
    assert [i["scoreMaximum"] for i in items] == [20, 20]
    assert all(i["id"].endswith(f"?type_id={demo_tool.pk}") for i in items)
    assert all("resourceLinkId" in i for i in items)


def _create(demo_tool, token: str, data: dict[str, Any], media: str = MediaType.LINEITEM):
    return requests.post(
        tool_line_items_url(demo_tool, platform_course(demo_tool.platform)),
        data=json.dumps(data),
        headers={"Authorization": f"Bearer {token}", "Content-Type": media},
        timeout=10,
    )


def test_a_created_line_item_is_found_by_each_filter(demo_tool, token):
    link = DemoResourceLink.objects.filter(tool=demo_tool).first()
    data = {
        "label": "Situation 1 — DC2",
        "scoreMaximum": 20,
        "tag": "DC2",
        "resourceId": "situation-1:DC2",
        "resourceLinkId": str(link.pk),
    }
    created = _create(demo_tool, token, data)
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"] == MediaType.LINEITEM
    url = tool_line_items_url(demo_tool, platform_course(demo_tool.platform))
    for name, value in (
        ("tag", "DC2"),
        ("resource_id", "situation-1:DC2"),
        ("resource_link_id", str(link.pk)),
    ):
        found = _get(url, token, **{name: value}).json()
        assert created.json()["id"] in [i["id"] for i in found], name
    assert [i["id"] for i in _get(url, token, tag="DC2").json()] == [created.json()["id"]]


def test_creating_needs_the_exact_media_type(demo_tool, token):
    response = _create(
        demo_tool, token, {"label": "x", "scoreMaximum": 20}, media="application/json"
    )
    assert response.status_code == 415


def test_a_resource_link_of_another_tool_is_forbidden(demo_platform, demo_tool, token):
    foreign = DemoResourceLink.objects.create(
        course=platform_course(demo_platform), title="Autre outil"
    )
    response = _create(
        demo_tool, token, {"label": "x", "scoreMaximum": 20, "resourceLinkId": str(foreign.pk)}
    )
    assert response.status_code == 403
    assert not DemoLineItem.objects.filter(label="x").exists()


def test_limit_pages_with_a_typographic_link_header(demo_tool, token):
    url = tool_line_items_url(demo_tool, platform_course(demo_tool.platform))
    response = _get(url, token, limit="1")
    assert len(response.json()) == 1
    link = response.headers["Link"].encode("latin-1").decode("utf-8")
    assert "rel=“next”" in link


def test_put_replaces_the_whole_line_item(demo_tool, token):
    created = _create(
        demo_tool, token, {"label": "DC3", "scoreMaximum": 20, "tag": "DC3", "resourceId": "r:DC3"}
    ).json()
    response = requests.put(
        created["id"],
        data=json.dumps({"label": "DC3 renommé", "scoreMaximum": 10}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": MediaType.LINEITEM},
        timeout=10,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "DC3 renommé" and body["scoreMaximum"] == 10
    assert "tag" not in body and "resourceId" not in body
    item = DemoLineItem.objects.get(label="DC3 renommé")
    assert item.tag == "" and item.resource_id == ""


def test_delete_answers_204(demo_tool, token):
    created = _create(demo_tool, token, {"label": "À supprimer", "scoreMaximum": 20}).json()
    response = requests.delete(
        created["id"], headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 204
    assert not DemoLineItem.objects.filter(label="À supprimer").exists()
    assert _get(created["id"], token).status_code == 404


def test_results_come_in_a_result_container(demo_tool, item, student, token):
    url = line_item_url(demo_tool, item)
    _post_score(token, url, _score(student, scoreGiven=12, scoreMaximum=20))
    path, _sep, query = url.partition("?")
    response = _get(f"{path}/results?{query}", token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == MediaType.RESULT_CONTAINER
    [result] = response.json()
    assert result["userId"] == str(student.pk)
    assert result["resultScore"] == 12 and result["resultMaximum"] == 20
    assert result["scoreOf"] == url
