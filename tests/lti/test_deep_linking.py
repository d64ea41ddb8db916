"""Deep linking end to end: a trainer's « Sélectionner du contenu » launch through the
built-in platform, the catalogue form posted with requests, and the signed response
checked by the platform's own verification (lti_tool/demo/deep_linking.py) over HTTP."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import jwt
import pytest
import requests
from django.utils import timezone

from lti_tool.activities.models import ActivityVersion
from lti_tool.demo.models import DemoLineItem, DemoResourceLink
from lti_tool.lti.constants import Claim, MessageType, Role
from lti_tool.lti.keys import tool_jwks, tool_key_ensure
from tests.activities.catalogue_fixtures import (
    PARENTS,
    QUARTIER,
    REUNION,
    CatalogueVisit,
    catalogue_open,
    catalogue_published,
    deep_linking_launch,
)
from tests.lti.flow import login_and_authorize, parse_form, post_launch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(demo: Any) -> dict[str, ActivityVersion]:
    return catalogue_published()


def _tokens(visit: CatalogueVisit, form_id: str = "catalogue-form") -> dict[str, str]:
    _action, fields = visit.form(form_id)
    return {name: fields[name] for name in ("launch", "launch_csrf")}


def _choose(
    visit: CatalogueVisit, versions: list[ActivityVersion], **options: str
) -> requests.Response:
    data: dict[str, Any] = {**_tokens(visit), "choose": [str(v.pk) for v in versions]}
    data.update(options)
    return visit.session.post(
        visit.url("/catalogue/placer/"), data=data, allow_redirects=False, timeout=10
    )


def _response_token(page: requests.Response) -> tuple[str, str]:
    assert page.status_code == 200, page.text[:3000]
    action, fields = parse_form(page.text, "deep-link-response")
    return action, fields["JWT"]


def _verified(token: str, demo: Any) -> dict[str, Any]:
    """Check the signature with the key the tool publishes in its JWKS, by kid."""
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [k for k in tool_jwks()["keys"] if k["kid"] == kid]
    key = jwt.PyJWK(jwk).key
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["RS256"], audience=demo.platform.issuer
    )
    return claims


# --- the platform places what the trainer chose -----------------------------------------


def test_a_trainer_places_two_activities_and_the_platform_creates_their_links_and_columns(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    visit = catalogue_open(demo)
    assert visit.page.status_code == 200, visit.page.text[:3000]
    quartier, reunion = published[QUARTIER], published[REUNION]
    due = (timezone.localtime() + timedelta(days=10)).replace(second=0, microsecond=0)
    page = _choose(
        visit,
        [quartier, reunion],
        **{
            f"attempts-{quartier.pk}": "2",
            f"counting-{quartier.pk}": "best",
            f"due-{quartier.pk}": due.strftime("%Y-%m-%dT%H:%M"),
            f"attempts-{reunion.pk}": "0",
            f"counting-{reunion.pk}": "last",
        },
    )
    action, token = _response_token(page)
    assert action == f"{demo.platform.issuer}/deep-link-return/"

    done = visit.session.post(action, data={"JWT": token}, timeout=10)
    assert done.status_code == 200, done.text[:3000]
    assert 'data-testid="deep-link-done"' in done.text

    links = {link.title: link for link in DemoResourceLink.objects.filter(from_setup=False)}
    assert set(links) == {
        "Diagnostic partagé d'un quartier — DC1",
        "Réunion des partenaires — DC4",
    }
    first = links["Diagnostic partagé d'un quartier — DC1"]
    assert first.custom == {
        "activity": f"{QUARTIER}@2",
        "attempts": "2",
        "counting": "best",
        "due": due.isoformat(),
    }
    assert first.text == quartier.summary
    second = links["Réunion des partenaires — DC4"]
    assert second.custom == {"activity": f"{REUNION}@1", "attempts": "0", "counting": "last"}
    for link, domain, slug in ((first, "DC1", QUARTIER), (second, "DC4", REUNION)):
        (item,) = DemoLineItem.objects.filter(resource_link=link)
        assert item.tag == domain
        assert item.resource_id == f"{slug}:{domain}"
        assert item.score_maximum == 20


def test_the_response_is_signed_by_the_tool_with_the_claims_the_spec_requires(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    visit = catalogue_open(demo)
    request_settings = visit.request_claims[Claim.DEEP_LINKING_SETTINGS]

    _action, token = _response_token(_choose(visit, [published[PARENTS]]))
    _action, again = _response_token(_choose(visit, [published[PARENTS]]))
    claims = _verified(token, demo)

    assert jwt.get_unverified_header(token)["kid"] == tool_jwks()["keys"][0]["kid"]
    assert claims["iss"] == demo.tool.client_id
    assert claims["aud"] == demo.platform.issuer
    assert claims[Claim.DEPLOYMENT_ID] == demo.tool.deployment_id
    assert claims[Claim.MESSAGE_TYPE] == MessageType.DEEP_LINKING_RESPONSE
    assert claims[Claim.VERSION] == "1.3.0"
    assert claims[Claim.DL_DATA] == request_settings["data"]
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert claims["nonce"] and claims["nonce"] != _verified(again, demo)["nonce"]
    (item,) = claims[Claim.DL_CONTENT_ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["title"] == "Élan de parole au groupe de parents — DC2"
    assert item["custom"]["activity"] == f"{PARENTS}@1"
    line_item = item["lineItem"]
    assert line_item["scoreMaximum"] == 20 and isinstance(line_item["scoreMaximum"], int)
    assert line_item["label"] == "Élan de parole au groupe de parents — DC2 Intervention sociale"
    assert line_item["tag"] == "DC2"
    assert line_item["resourceId"] == f"{PARENTS}:DC2"


def test_cancelling_sends_a_response_without_content_items(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    visit = catalogue_open(demo)
    page = visit.session.post(
        visit.url("/catalogue/annuler/"),
        data=_tokens(visit, "catalogue-cancel-form"),
        allow_redirects=False,
        timeout=10,
    )
    action, token = _response_token(page)
    claims = _verified(token, demo)
    assert claims[Claim.DL_CONTENT_ITEMS] == []
    assert claims[Claim.DL_MSG]
    done = visit.session.post(action, data={"JWT": token}, timeout=10)
    assert done.status_code == 200, done.text[:3000]
    assert not DemoResourceLink.objects.filter(from_setup=False).exists()


# --- what the catalogue shows ---------------------------------------------------------


def test_the_catalogue_offers_the_latest_version_of_each_activity_with_a_preview(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    text = html.unescape(catalogue_open(demo).page.text)
    assert f"{QUARTIER}@2" in text and f"{QUARTIER}@1" not in text
    assert "Version revue." in text  # the summary of version 2
    assert "25 minutes" in text
    assert "1 point de décision" in text and "2 fins possibles" in text
    assert "Dynamiques interinstitutionnelles, partenariats et réseaux" in text
    assert 'type="checkbox" name="choose"' in catalogue_open(demo).page.text


def test_a_platform_that_accepts_one_item_gets_radio_buttons_and_refuses_two(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    def single(claims: dict[str, Any]) -> None:
        claims[Claim.DEEP_LINKING_SETTINGS]["accept_multiple"] = False

    visit = catalogue_open(demo, change=single)
    assert 'type="radio" name="choose"' in visit.page.text

    refused = _choose(visit, [published[QUARTIER], published[REUNION]])
    assert refused.status_code == 400
    assert "un seul contenu" in html.unescape(refused.text)
    _action, token = _response_token(_choose(visit, [published[REUNION]]))
    assert len(_verified(token, demo)[Claim.DL_CONTENT_ITEMS]) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"attempts-{pk}": "-1"}, "nombre de tentatives"),
        ({"attempts-{pk}": "beaucoup"}, "nombre de tentatives"),
        ({"counting-{pk}": "average"}, "quelle tentative compte"),
        ({"due-{pk}": "demain"}, "illisible"),
        ({"due-{pk}": "2001-01-01T10:00"}, "déjà passée"),
    ],
)
def test_bad_options_show_the_catalogue_again_with_what_to_fix(
    demo: Any, published: dict[str, ActivityVersion], options: dict[str, str], message: str
) -> None:
    visit = catalogue_open(demo)
    pk = published[PARENTS].pk
    response = _choose(
        visit, [published[PARENTS]], **{k.format(pk=pk): v for k, v in options.items()}
    )
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert message in text
    assert 'data-testid="catalogue-form"' in response.text


def test_choosing_nothing_or_an_unknown_activity_is_a_400(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    visit = catalogue_open(demo)
    nothing = visit.session.post(visit.url("/catalogue/placer/"), data=_tokens(visit), timeout=10)
    assert nothing.status_code == 400
    unknown = visit.session.post(
        visit.url("/catalogue/placer/"), data={**_tokens(visit), "choose": "999999"}, timeout=10
    )
    assert unknown.status_code == 400
    outdated = ActivityVersion.objects.get(activity__slug=QUARTIER, version=1)
    old = visit.session.post(
        visit.url("/catalogue/placer/"),
        data={**_tokens(visit), "choose": str(outdated.pk)},
        timeout=10,
    )
    assert old.status_code == 400


# --- who may use it ---------------------------------------------------------------------


def test_a_student_deep_linking_launch_is_refused(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    def learner(claims: dict[str, Any]) -> None:
        claims[Claim.ROLES] = [Role.LEARNER.value]

    _session, _auth, response = deep_linking_launch(demo, change=learner)
    assert response.status_code == 403
    assert "« deep_linking_role »" in html.unescape(response.text)


def test_a_resource_link_launch_cannot_open_or_answer_the_catalogue(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    session = requests.Session()
    url, fields = demo.login_fields("student")
    location = post_launch(session, login_and_authorize(session, url, fields)).headers["Location"]
    launch_id = location.split("launch=")[1]
    page = session.get(demo.absolute(f"/catalogue/?launch={launch_id}"), timeout=10)
    assert page.status_code == 403
    assert "Sélectionner du contenu" in html.unescape(page.text)


def test_the_catalogue_needs_a_launch(demo: Any, published: dict[str, ActivityVersion]) -> None:
    assert requests.get(demo.absolute("/catalogue/"), timeout=10).status_code == 401
    forged = requests.post(
        demo.absolute("/catalogue/placer/"), data={"launch": "forged", "choose": "1"}, timeout=10
    )
    assert forged.status_code == 401


def test_a_selection_posted_without_the_launch_token_is_refused(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    visit = catalogue_open(demo)
    for token in ("", "forged-token"):
        response = visit.session.post(
            visit.url("/catalogue/placer/"),
            data={
                "launch": visit.launch_id,
                "launch_csrf": token,
                "choose": str(published[PARENTS].pk),
            },
            timeout=10,
        )
        assert response.status_code == 403
        assert 'data-testid="deep-link-response"' not in response.text


def test_a_response_the_tool_cannot_sign_is_a_clear_refusal(
    demo: Any, published: dict[str, ActivityVersion], settings: Any, tmp_path: Any
) -> None:
    visit = catalogue_open(demo)
    tool_key_ensure()  # the active key exists, but its private file is not where it should be
    settings.LTI_KEYS_DIR = tmp_path / "empty-keys"
    response = _choose(visit, [published[PARENTS]])
    assert response.status_code == 409
    assert "lti_keys" in html.unescape(response.text)


def test_the_catalogue_page_filters_by_text_and_domain(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    visit = catalogue_open(demo)

    def shown(**query: str) -> str:
        params = {"launch": visit.launch_id, **query}
        page = visit.session.get(visit.url("/catalogue/"), params=params, timeout=10)
        assert page.status_code == 200
        return html.unescape(page.text)

    text = shown(q="reunion partenaires")
    assert f"choose-{REUNION}" in text and f"choose-{QUARTIER}" not in text
    text = shown(domaine="DC1")
    assert f"choose-{QUARTIER}" in text and f"choose-{PARENTS}" not in text
    assert "Aucune activité ne correspond" in shown(q="introuvable")


def test_a_request_without_data_gets_a_response_without_data(
    demo: Any, published: dict[str, ActivityVersion]
) -> None:
    def no_data(claims: dict[str, Any]) -> None:
        del claims[Claim.DEEP_LINKING_SETTINGS]["data"]

    visit = catalogue_open(demo, change=no_data)
    action, token = _response_token(_choose(visit, [published[PARENTS]]))
    assert Claim.DL_DATA not in _verified(token, demo)
    done = visit.session.post(action, data={"JWT": token}, timeout=10)
    assert done.status_code == 200, done.text[:3000]
