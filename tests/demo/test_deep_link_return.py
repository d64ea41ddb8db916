"""The deep-linking return endpoint places what the tool's signed response lists."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import requests

from lti_tool.demo.constants import Claim
from lti_tool.demo.launch import deep_linking_data_sign
from lti_tool.demo.models import DemoLineItem, DemoResourceLink, DemoUser
from lti_tool.demo.selectors import platform_course
from lti_tool.lti.keys import tool_signing_key


def _response(demo_tool, **changes: Any) -> str:
    platform = demo_tool.platform
    course = platform_course(platform)
    trainer = DemoUser.objects.get(platform=platform, username="claire.martin")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": demo_tool.client_id,
        "aud": platform.issuer,
        "iat": now - 2,
        "exp": now + 60,
        "nonce": uuid.uuid4().hex,
        Claim.DEPLOYMENT_ID.value: demo_tool.deployment_id,
        Claim.MESSAGE_TYPE.value: "LtiDeepLinkingResponse",
        Claim.VERSION.value: "1.3.0",
        Claim.DL_DATA.value: deep_linking_data_sign(course=course, user=trainer),
        Claim.DL_CONTENT_ITEMS.value: [
            {
                "type": "ltiResourceLink",
                "title": "Jeu de rôle — DC2 Conduite de réunion",
                "text": "Une réunion à animer.",
                "custom": {"activity": "reunion-quartier"},
                "lineItem": {
                    "scoreMaximum": 20,
                    "label": "DC2",
                    "tag": "DC2",
                    "resourceId": "reunion:DC2",
                },
            }
        ],
    }
    claims.update(changes)
    key = tool_signing_key()
    return jwt.encode(claims, key.private_key_pem, algorithm="RS256", headers={"kid": key.kid})


def test_a_signed_response_places_the_activity_and_its_column_named_after_it(
    demo_tool, live_server
):
    response = requests.post(
        f"{live_server.url}/demo/deep-link-return/", data={"JWT": _response(demo_tool)}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert "Jeu de rôle — DC2 Conduite de réunion" in response.text
    link = DemoResourceLink.objects.get(title="Jeu de rôle — DC2 Conduite de réunion")
    assert link.tool == demo_tool and link.custom == {"activity": "reunion-quartier"}
    item = DemoLineItem.objects.get(resource_link=link)
    # Moodle drops the label: the column is named after the activity.
    assert item.label == link.title
    assert (item.tag, item.resource_id, item.score_maximum) == ("DC2", "reunion:DC2", 20)


def test_a_response_for_another_audience_is_refused(demo_tool, live_server):
    token = _response(demo_tool, aud="https://elsewhere.example")
    response = requests.post(
        f"{live_server.url}/demo/deep-link-return/", data={"JWT": token}, timeout=10
    )
    assert response.status_code == 400
    assert not DemoResourceLink.objects.filter(title__startswith="Jeu de rôle — DC2").exists()


def test_a_response_without_nonce_or_with_a_wrong_deployment_is_refused(demo_tool, live_server):
    url = f"{live_server.url}/demo/deep-link-return/"
    for changes in (
        {"nonce": None},
        {Claim.DEPLOYMENT_ID.value: "999"},
        {Claim.MESSAGE_TYPE.value: "LtiResourceLinkRequest"},
    ):
        token = _response(demo_tool, **changes)
        if "nonce" in changes:
            claims = jwt.decode(token, options={"verify_signature": False})
            claims.pop("nonce")
            key = tool_signing_key()
            token = jwt.encode(
                claims, key.private_key_pem, algorithm="RS256", headers={"kid": key.kid}
            )
        assert requests.post(url, data={"JWT": token}, timeout=10).status_code == 400, changes


def test_a_response_signed_by_another_key_is_refused(demo_tool, live_server):
    token = _response(demo_tool)
    platform_kid, platform_pem = demo_tool.platform.kid, demo_tool.platform.private_key_pem
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, platform_pem, algorithm="RS256", headers={"kid": platform_kid})
    response = requests.post(
        f"{live_server.url}/demo/deep-link-return/", data={"JWT": forged}, timeout=10
    )
    assert response.status_code == 400
