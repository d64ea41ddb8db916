"""Every launch rule, exercised with real signed (or tampered) id_tokens through the
built-in platform over real HTTP (LTI 1.3 §5.1.3, Security Framework §5.1.3)."""

from __future__ import annotations

import html
import json
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.lti.constants import Claim, MessageType
from lti_tool.lti.models import Context, Deployment, LtiUser, Membership, ResourceLink
from tests.lti.flow import AuthResponse, login_and_authorize, now, post_launch, resign

pytestmark = pytest.mark.django_db(transaction=True)


def _launch(
    demo: Any, who: str = "student", **kwargs: Any
) -> tuple[requests.Session, AuthResponse]:
    session = requests.Session()
    url, fields = demo.login_fields(who, **kwargs)
    return session, login_and_authorize(session, url, fields)


def _tampered(demo: Any, auth: AuthResponse, **changes: Any) -> str:
    claims = auth.claims
    for name, value in changes.items():
        if value is _DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    kid, pem = demo.signing_key()
    return resign(claims, private_key=pem, kid=kid)


_DROP = object()


def _refused(response: requests.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text[:3000]
    assert f"« {reason} »" in html.unescape(response.text), response.text[:3000]


# --- the happy paths ------------------------------------------------------------------


def test_student_launch_lands_on_the_activity_page_with_real_launch_data(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    response = post_launch(session, auth)
    assert response.status_code == 303
    page = session.get(demo.absolute(response.headers["Location"]), timeout=10)
    assert page.status_code == 200
    claims, text = auth.claims, html.unescape(page.text)
    assert claims["name"] in text
    assert claims[Claim.RESOURCE_LINK]["title"] in text
    assert claims[Claim.CONTEXT]["title"] in text
    link = ResourceLink.objects.get(resource_link_id=claims[Claim.RESOURCE_LINK]["id"])
    user = LtiUser.objects.get(sub=claims["sub"])
    membership = Membership.objects.get(lti_user=user, context=link.context)
    assert membership.is_student and not membership.is_trainer
    assert link.ags_lineitem_url == claims[Claim.AGS_ENDPOINT]["lineitem"]


def test_trainer_launch_lands_on_the_course_page(demo: Any) -> None:
    # A link that names its activity (custom parameter) needs no choice first.
    link = demo.link(0)
    link.custom = {"activity": "premier-groupe-parents"}
    link.save()
    session, auth = _launch(demo, "trainer")
    response = post_launch(session, auth)
    assert response.status_code == 303
    assert "/cours/" in response.headers["Location"]
    page = session.get(demo.absolute(response.headers["Location"]), timeout=10)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert auth.claims[Claim.CONTEXT]["title"] in text
    assert auth.claims["name"] in text


def test_launching_twice_updates_rows_instead_of_duplicating_them(demo: Any) -> None:
    for _ in range(2):
        session, auth = _launch(demo, "student")
        assert post_launch(session, auth).status_code == 303
    assert LtiUser.objects.filter(sub=auth.claims["sub"]).count() == 1
    assert Context.objects.count() == 1
    assert ResourceLink.objects.count() == 1
    assert Membership.objects.count() == 1


def test_login_initiation_by_get_is_accepted_too(demo: Any) -> None:
    url, fields = demo.login_fields("student")
    response = requests.get(url, params=fields, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(demo.platform.issuer)


def test_launch_pages_can_be_framed_by_the_platform_only(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    response = post_launch(session, auth)
    page = session.get(demo.absolute(response.headers["Location"]), timeout=10)
    assert "X-Frame-Options" not in page.headers
    assert page.headers["Content-Security-Policy"] == f"frame-ancestors {demo.origin}"


def test_an_english_launch_gets_english_error_pages(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.VERSION.value: "1.1"})
    claims = jwt.decode(token, options={"verify_signature": False})
    claims[Claim.LAUNCH_PRESENTATION] = {"locale": "en", "document_target": "iframe"}
    kid, pem = demo.signing_key()
    response = post_launch(session, auth, id_token=resign(claims, private_key=pem, kid=kid))
    assert response.status_code == 400
    assert 'lang="en"' in response.text


# --- login initiation -----------------------------------------------------------------


def test_login_from_an_unknown_platform_is_refused(demo: Any) -> None:
    url, fields = demo.login_fields("student")
    fields["iss"] = "https://moodle.unknown.example"
    response = requests.post(url, data=fields, allow_redirects=False, timeout=10)
    _refused(response, 403, "platform_unknown")


@pytest.mark.parametrize("missing", ["iss", "login_hint", "target_link_uri"])
def test_login_without_a_required_parameter_is_refused(demo: Any, missing: str) -> None:
    url, fields = demo.login_fields("student")
    fields.pop(missing)
    response = requests.post(url, data=fields, allow_redirects=False, timeout=10)
    _refused(response, 400, "login_param_missing")


def test_login_targeting_another_host_is_refused(demo: Any) -> None:
    url, fields = demo.login_fields("student")
    fields["target_link_uri"] = "https://evil.example/lti/launch/"
    response = requests.post(url, data=fields, allow_redirects=False, timeout=10)
    _refused(response, 400, "target_link_uri_foreign")


def test_login_for_an_inactive_registration_is_refused(demo: Any) -> None:
    demo.registration.active = False
    demo.registration.save()
    url, fields = demo.login_fields("student")
    response = requests.post(url, data=fields, allow_redirects=False, timeout=10)
    _refused(response, 403, "platform_inactive")


# --- state and nonce ------------------------------------------------------------------


def test_a_replayed_id_token_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    assert post_launch(session, auth).status_code == 303
    _refused(post_launch(session, auth), 400, "state_unknown")


def test_an_old_id_token_with_a_fresh_state_is_refused(demo: Any) -> None:
    session, first = _launch(demo, "student")
    assert post_launch(session, first).status_code == 303
    _, second = _launch(demo, "student")
    replay = AuthResponse(launch_url=second.launch_url, id_token=first.id_token, state=second.state)
    _refused(post_launch(session, replay), 400, "nonce_mismatch")


def test_a_launch_without_state_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    response = session.post(auth.launch_url, data={"id_token": auth.id_token}, timeout=10)
    _refused(response, 400, "state_missing")


def test_a_state_that_was_never_issued_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    forged = AuthResponse(launch_url=auth.launch_url, id_token=auth.id_token, state="forged")
    _refused(post_launch(session, forged), 400, "state_unknown")


def test_a_token_without_nonce_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    _refused(
        post_launch(session, auth, id_token=_tampered(demo, auth, nonce=_DROP)),
        400,
        "nonce_missing",
    )


def test_a_token_for_a_nonce_other_than_the_login_one_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, nonce="another-nonce")
    _refused(post_launch(session, auth, id_token=token), 400, "nonce_mismatch")


# --- the token itself -----------------------------------------------------------------


def test_a_launch_without_id_token_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    response = session.post(auth.launch_url, data={"state": auth.state}, timeout=10)
    _refused(response, 400, "id_token_missing")


@pytest.mark.parametrize("garbage", ["not-a-jwt", "a.b.c", "e30.e30", "....", "x" * 5000])
def test_garbage_instead_of_a_token_is_refused_without_a_server_error(
    demo: Any, garbage: str
) -> None:
    session, auth = _launch(demo, "student")
    response = post_launch(session, auth, id_token=garbage)
    assert response.status_code == 400, response.text[:2000]


def test_an_unsigned_alg_none_token_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = jwt.encode(auth.claims, key=None, algorithm="none", headers={"kid": auth.header["kid"]})
    _refused(post_launch(session, auth, id_token=token), 400, "alg_not_allowed")


def test_an_hs256_token_keyed_with_the_public_key_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = jwt.api_jws.PyJWS().encode(
        jwt.utils.force_bytes(json.dumps(auth.claims)),
        key=b"public-key-material-used-as-an-hmac-secret",
        algorithm="HS256",
        headers={"kid": auth.header["kid"]},
    )
    _refused(post_launch(session, auth, id_token=token), 400, "alg_not_allowed")


def test_a_token_without_kid_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    _, pem = demo.signing_key()
    token = resign(auth.claims, private_key=pem, kid=None)
    _refused(post_launch(session, auth, id_token=token), 400, "kid_missing")


def _foreign_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_a_token_signed_with_a_key_the_platform_does_not_publish_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = resign(auth.claims, private_key=_foreign_pem(), kid="attacker-key")
    _refused(post_launch(session, auth, id_token=token), 400, "kid_unknown")


def test_a_token_signed_by_another_key_under_the_platform_kid_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = resign(auth.claims, private_key=_foreign_pem(), kid=auth.header["kid"])
    _refused(post_launch(session, auth, id_token=token), 401, "signature_invalid")


def test_a_token_whose_body_was_altered_after_signing_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    header, _body, signature = auth.id_token.split(".")
    claims = auth.claims
    claims["sub"] = "someone-else"
    body = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    _refused(
        post_launch(session, auth, id_token=f"{header}.{body}.{signature}"),
        401,
        "signature_invalid",
    )


def test_a_token_from_another_issuer_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, iss="https://moodle.other.example")
    _refused(post_launch(session, auth, id_token=token), 400, "iss_mismatch")


def test_a_token_for_another_client_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, aud="some-other-tool")
    _refused(post_launch(session, auth, id_token=token), 400, "aud_mismatch")


def test_an_audience_list_with_our_client_id_and_azp_is_accepted(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    client_id = auth.claims["aud"]
    token = _tampered(demo, auth, aud=[client_id, "other"], azp=client_id)
    assert post_launch(session, auth, id_token=token).status_code == 303


def test_an_audience_list_without_azp_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, aud=[auth.claims["aud"], "other"])
    _refused(post_launch(session, auth, id_token=token), 400, "azp_missing")


def test_an_azp_other_than_our_client_id_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, aud=[auth.claims["aud"], "other"], azp="other")
    _refused(post_launch(session, auth, id_token=token), 400, "azp_mismatch")


def test_an_expired_token_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, iat=now() - 600, exp=now() - 60)
    _refused(post_launch(session, auth, id_token=token), 401, "token_expired")


def test_a_token_expired_within_the_clock_leeway_is_accepted(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, iat=now() - 65, exp=now() - 3)
    assert post_launch(session, auth, id_token=token).status_code == 303


def test_a_token_issued_in_the_future_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, iat=now() + 300, exp=now() + 360)
    _refused(post_launch(session, auth, id_token=token), 401, "token_not_yet_valid")


def test_a_token_without_exp_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    _refused(
        post_launch(session, auth, id_token=_tampered(demo, auth, exp=_DROP)), 400, "claim_missing"
    )


# --- the message ----------------------------------------------------------------------


def test_a_version_other_than_1_3_0_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.VERSION.value: "1.1"})
    _refused(post_launch(session, auth, id_token=token), 400, "version_invalid")


def test_an_unknown_message_type_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.MESSAGE_TYPE.value: "LtiSubmissionReviewRequest"})
    _refused(post_launch(session, auth, id_token=token), 400, "message_type_unsupported")


def test_a_resource_link_launch_without_sub_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    _refused(
        post_launch(session, auth, id_token=_tampered(demo, auth, sub=_DROP)), 400, "sub_missing"
    )


def test_a_resource_link_launch_without_link_id_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.RESOURCE_LINK.value: {"title": "sans id"}})
    _refused(post_launch(session, auth, id_token=token), 400, "resource_link_missing")


def test_a_target_link_uri_claim_on_another_host_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.TARGET_LINK_URI.value: "https://evil.example/x"})
    _refused(post_launch(session, auth, id_token=token), 400, "target_link_uri_foreign")


def test_a_launch_without_roles_claim_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.ROLES.value: _DROP})
    _refused(post_launch(session, auth, id_token=token), 400, "message_invalid")


def test_a_launch_without_deployment_is_refused(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.DEPLOYMENT_ID.value: _DROP})
    _refused(post_launch(session, auth, id_token=token), 400, "deployment_missing")


def test_an_unknown_deployment_is_recorded_inactive_until_an_admin_accepts_it(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.DEPLOYMENT_ID.value: "77"})
    _refused(post_launch(session, auth, id_token=token), 403, "deployment_pending")
    pending = Deployment.objects.get(registration=demo.registration, deployment_id="77")
    assert not pending.active
    pending.active = True
    pending.save()
    session, auth = _launch(demo, "student")
    token = _tampered(demo, auth, **{Claim.DEPLOYMENT_ID.value: "77"})
    assert post_launch(session, auth, id_token=token).status_code == 303


def test_a_deep_linking_launch_lands_on_the_catalogue(demo: Any) -> None:
    session, auth = _launch(demo, "trainer", deep_linking=True)
    assert auth.claims[Claim.MESSAGE_TYPE] == MessageType.DEEP_LINKING
    response = post_launch(session, auth)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/catalogue/?launch=")
    page = session.get(demo.absolute(response.headers["Location"]), timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == f"frame-ancestors {demo.origin}"


# --- after the launch -----------------------------------------------------------------


def test_pages_after_launch_need_a_launch_id(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    location = post_launch(session, auth).headers["Location"]
    bare = demo.absolute(location.split("?")[0])
    assert requests.get(bare, timeout=10).status_code == 401
    assert requests.get(bare + "?launch=forged", timeout=10).status_code == 401


def test_a_student_launch_does_not_open_the_trainer_course_page(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    location = post_launch(session, auth).headers["Location"]
    launch_id = location.split("launch=")[1]
    link = ResourceLink.objects.get()
    course_page = demo.absolute(f"/cours/{link.context_id}/?launch={launch_id}")
    assert requests.get(course_page, timeout=10).status_code == 403


def test_the_launch_id_also_works_as_a_header(demo: Any) -> None:
    session, auth = _launch(demo, "student")
    location = post_launch(session, auth).headers["Location"]
    path, launch_id = location.split("?launch=")
    page = requests.get(demo.absolute(path), headers={"X-Atelier-Launch": launch_id}, timeout=10)
    assert page.status_code == 200
