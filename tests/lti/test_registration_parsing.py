"""Pure parts of registration: Moodle's details block, the platform's configuration, our
registration payload, the signed confirmation and the framing header."""

from __future__ import annotations

import string
import time

import pytest
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st

from lti_tool.lti.constants import TOOL_SCOPES, Claim, MessageType
from lti_tool.lti.dynamic_registration import (
    CONFIRMATION_SALT,
    ConfirmationRefused,
    PlatformConfigurationInvalid,
    RegistrationParametersMissing,
    platform_configuration_parse,
    registration_confirmation_check,
    registration_confirmation_issue,
    registration_parameters_check,
)
from lti_tool.lti.dynamic_registration_client import (
    client_registration_parse,
    tool_registration_payload,
)
from lti_tool.lti.endpoints import tool_endpoints
from lti_tool.lti.framing import frame_ancestors_header, origin_of, same_origin
from lti_tool.lti.registration import moodle_tool_details_parse
from tests.lti.registration_samples import MOODLE_BLOCK

EXPECTED_BLOCK_VALUES = {
    "issuer": "https://moodle.example.fr",
    "client_id": "q8XkLmN3pR5sT7v",
    "deployment_id": "3",
    "key_set_url": "https://moodle.example.fr/mod/lti/certs.php",
    "auth_token_url": "https://moodle.example.fr/mod/lti/token.php",
    "auth_login_url": "https://moodle.example.fr/mod/lti/auth.php",
}

CONFIG_URL = "https://moodle.example.fr/mod/lti/openid-configuration.php"


def moodle_configuration(**overrides: object) -> dict[str, object]:
    """The shape of Moodle 4.3's mod/lti/openid-configuration.php answer."""
    data: dict[str, object] = {
        "issuer": "https://moodle.example.fr",
        "token_endpoint": "https://moodle.example.fr/mod/lti/token.php",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": "https://moodle.example.fr/mod/lti/certs.php",
        "authorization_endpoint": "https://moodle.example.fr/mod/lti/auth.php",
        "registration_endpoint": "https://moodle.example.fr/mod/lti/openid-registration.php",
        "scopes_supported": [str(scope) for scope in TOOL_SCOPES],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
        str(Claim.PLATFORM_CONFIGURATION): {
            "product_family_code": "moodle",
            "version": "4.3 (Build: 20231009)",
            "messages_supported": [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest"},
            ],
        },
    }
    data.update(overrides)
    return data


# --- Moodle's details block -------------------------------------------------------------


def test_moodle_details_block_pasted_with_tabs_gives_the_six_values() -> None:
    assert moodle_tool_details_parse(MOODLE_BLOCK) == EXPECTED_BLOCK_VALUES


def test_moodle_details_block_tolerates_colons_spaces_and_values_on_the_next_line() -> None:
    block = (
        "  Platform ID:   https://moodle.example.fr\n"
        "Client ID :q8XkLmN3pR5sT7v\n\n"
        "Deployment ID\n3\n"
        "Public keyset URL  https://moodle.example.fr/mod/lti/certs.php\r\n"
        "Access token URL: https://moodle.example.fr/mod/lti/token.php\n"
        "Authentication request URL\n   https://moodle.example.fr/mod/lti/auth.php"
    )
    assert moodle_tool_details_parse(block) == EXPECTED_BLOCK_VALUES


def test_moodle_details_block_in_french_is_read_too() -> None:
    block = (
        "ID de la plateforme : https://moodle.example.fr\n"
        "ID du client : q8XkLmN3pR5sT7v\n"
        "ID de déploiement : 3\n"
        "URL du jeu de clés publiques : https://moodle.example.fr/mod/lti/certs.php\n"
        "URL du jeton d\u2019accès : https://moodle.example.fr/mod/lti/token.php\n"
        "URL de demande d'authentification : https://moodle.example.fr/mod/lti/auth.php\n"
    )
    assert moodle_tool_details_parse(block) == EXPECTED_BLOCK_VALUES


def test_text_without_moodle_labels_gives_nothing() -> None:
    assert moodle_tool_details_parse("bonjour\nrien à voir ici") == {}


# --- the platform's configuration --------------------------------------------------------


def test_moodle_configuration_is_accepted_with_its_endpoints_and_product() -> None:
    configuration = platform_configuration_parse(
        moodle_configuration(), configuration_url=CONFIG_URL
    )
    assert configuration.issuer == "https://moodle.example.fr"
    assert configuration.registration_endpoint.endswith("/mod/lti/openid-registration.php")
    assert configuration.authorization_endpoint.endswith("/mod/lti/auth.php")
    assert configuration.display_name == "Moodle 4.3 — moodle.example.fr"
    assert MessageType.DEEP_LINKING in configuration.messages_supported


def test_issuer_on_another_origin_than_the_configuration_url_is_refused() -> None:
    with pytest.raises(PlatformConfigurationInvalid) as refused:
        platform_configuration_parse(
            moodle_configuration(issuer="https://evil.example.org"), configuration_url=CONFIG_URL
        )
    assert refused.value.code == "issuer_origin_mismatch"
    assert "ne correspond pas" in refused.value.message


def test_issuer_on_another_port_is_another_origin() -> None:
    with pytest.raises(PlatformConfigurationInvalid):
        platform_configuration_parse(
            moodle_configuration(issuer="https://moodle.example.fr:8443"),
            configuration_url=CONFIG_URL,
        )


def test_issuer_with_a_path_on_the_same_origin_is_accepted() -> None:
    configuration = platform_configuration_parse(
        moodle_configuration(issuer="https://moodle.example.fr/moodle"),
        configuration_url="https://moodle.example.fr:443/moodle/mod/lti/openid-configuration.php",
    )
    assert configuration.issuer == "https://moodle.example.fr/moodle"


def test_configuration_without_registration_endpoint_names_what_is_missing() -> None:
    data = moodle_configuration()
    del data["registration_endpoint"]
    with pytest.raises(PlatformConfigurationInvalid) as refused:
        platform_configuration_parse(data, configuration_url=CONFIG_URL)
    assert refused.value.extra["missing"] == ["registration_endpoint"]
    assert "registration_endpoint" in refused.value.message


def test_configuration_announcing_algorithms_without_rs256_is_refused() -> None:
    with pytest.raises(PlatformConfigurationInvalid) as refused:
        platform_configuration_parse(
            moodle_configuration(id_token_signing_alg_values_supported=["HS256"]),
            configuration_url=CONFIG_URL,
        )
    assert "RS256" in refused.value.message


def test_registration_page_opened_without_its_parameters_says_where_to_start() -> None:
    with pytest.raises(RegistrationParametersMissing) as refused:
        registration_parameters_check(openid_configuration="", registration_token="")
    assert refused.value.status_code == 400
    assert "Gérer les outils" in refused.value.message


def test_configuration_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(RegistrationParametersMissing):
        registration_parameters_check(
            openid_configuration="file:///etc/passwd", registration_token="x.y.z"
        )


# --- our registration and the platform's answer ---------------------------------------


def test_registration_payload_has_what_moodle_requires() -> None:
    endpoints = tool_endpoints("https://atelier.example.fr:8443")
    payload = tool_registration_payload(endpoints)
    assert payload["application_type"] == "web"
    assert payload["response_types"] == ["id_token"]
    assert payload["grant_types"] == ["implicit", "client_credentials"]
    assert payload["token_endpoint_auth_method"] == "private_key_jwt"
    assert payload["initiate_login_uri"] == endpoints.login_url
    assert payload["redirect_uris"] == endpoints.redirect_uris
    assert payload["jwks_uri"] == endpoints.jwks_url
    assert payload["client_name"] == "Atelier"
    assert payload["scope"].split(" ") == [str(scope) for scope in TOOL_SCOPES]
    tool_configuration = payload[str(Claim.TOOL_CONFIGURATION)]
    # Moodle compares domain with target_link_uri's host, port included.
    assert tool_configuration["domain"] == "atelier.example.fr:8443"
    assert tool_configuration["target_link_uri"] == endpoints.launch_url
    assert {"iss", "sub", "name", "given_name", "family_name", "email"} <= set(
        tool_configuration["claims"]
    )
    (message,) = tool_configuration["messages"]
    assert message["type"] == MessageType.DEEP_LINKING
    assert message["target_link_uri"] == endpoints.deep_link_url


def test_moodle_answer_gives_client_id_and_deployment_id() -> None:
    answer = client_registration_parse(
        {
            "client_id": "q8XkLmN3pR5sT7v",
            "client_name": "Atelier",
            str(Claim.TOOL_CONFIGURATION): {"deployment_id": "3"},
        }
    )
    assert (answer.client_id, answer.deployment_id) == ("q8XkLmN3pR5sT7v", "3")


def test_answer_without_deployment_id_is_refused() -> None:
    with pytest.raises(PlatformConfigurationInvalid):
        client_registration_parse({"client_id": "abc"})


# --- the signed confirmation ------------------------------------------------------------


def test_confirmation_signed_for_a_registration_is_accepted_for_it() -> None:
    confirmation = registration_confirmation_issue(
        openid_configuration=CONFIG_URL, registration_token="token-a"
    )
    registration_confirmation_check(
        confirmation=confirmation, openid_configuration=CONFIG_URL, registration_token="token-a"
    )


def test_confirmation_for_another_registration_token_is_refused() -> None:
    confirmation = registration_confirmation_issue(
        openid_configuration=CONFIG_URL, registration_token="token-a"
    )
    with pytest.raises(ConfirmationRefused) as refused:
        registration_confirmation_check(
            confirmation=confirmation, openid_configuration=CONFIG_URL, registration_token="token-b"
        )
    assert refused.value.status_code == 403


def test_forged_or_missing_confirmation_is_refused() -> None:
    for forged in ("", "abc", "eyJiIjoiMDAwIn0:1tQd3s:forgedsignature"):
        with pytest.raises(ConfirmationRefused):
            registration_confirmation_check(
                confirmation=forged, openid_configuration=CONFIG_URL, registration_token="t"
            )


def test_confirmation_older_than_an_hour_is_refused() -> None:
    class TwoHoursAgoSigner(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 7200)

    issued = registration_confirmation_issue(
        openid_configuration=CONFIG_URL, registration_token="t"
    )
    payload = signing.loads(issued, salt=CONFIRMATION_SALT)
    old = TwoHoursAgoSigner(salt=CONFIRMATION_SALT).sign_object(payload)
    with pytest.raises(ConfirmationRefused) as refused:
        registration_confirmation_check(
            confirmation=old, openid_configuration=CONFIG_URL, registration_token="t"
        )
    assert "expiré" in refused.value.message


def test_confirmation_signed_with_another_secret_is_refused() -> None:
    forged = signing.dumps({"b": "x"}, salt=CONFIRMATION_SALT, key="not-our-secret")
    with pytest.raises(ConfirmationRefused):
        registration_confirmation_check(
            confirmation=forged, openid_configuration=CONFIG_URL, registration_token="t"
        )


# --- framing ------------------------------------------------------------------------------


def test_frame_ancestors_lists_origins_only() -> None:
    header = frame_ancestors_header(
        ["https://moodle.example.fr/mod/lti/openid-configuration.php", "http://localhost:8000/x"]
    )
    assert header == "frame-ancestors https://moodle.example.fr http://localhost:8000"


def test_frame_ancestors_without_valid_origin_forbids_framing() -> None:
    assert frame_ancestors_header(["", "javascript:alert(1)", "x; script-src *"]) == (
        "frame-ancestors 'none'"
    )


def test_origins_ignore_default_ports_and_case() -> None:
    assert origin_of("HTTPS://Moodle.Example.fr:443/a") == "https://moodle.example.fr"
    assert same_origin("http://127.0.0.1:8000/demo", "http://127.0.0.1:8000/x")
    assert not same_origin("http://127.0.0.1:8000", "http://localhost:8000")


def test_registration_endpoint_on_another_server_than_the_configuration_is_refused() -> None:
    # Else a document could send our registration token, and show us the answer, anywhere.
    with pytest.raises(PlatformConfigurationInvalid) as refused:
        platform_configuration_parse(
            moodle_configuration(registration_endpoint="http://10.0.0.7/internal"),
            configuration_url=CONFIG_URL,
        )
    assert refused.value.code == "registration_endpoint_origin_mismatch"


MOODLE_LABELS_EN = {
    "issuer": "Platform ID",
    "client_id": "Client ID",
    "deployment_id": "Deployment ID",
    "key_set_url": "Public keyset URL",
    "auth_token_url": "Access token URL",
    "auth_login_url": "Authentication request URL",
}


@given(
    client_id=st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=32),
    deployment_id=st.integers(min_value=1, max_value=10**6).map(str),
    separators=st.lists(
        st.sampled_from(["\t", ": ", " : ", "  ", "\n", ":\t", " \n  "]), min_size=6, max_size=6
    ),
    order=st.permutations(list(MOODLE_LABELS_EN)),
)
def test_details_block_is_read_whatever_the_separators_and_the_order(
    client_id: str, deployment_id: str, separators: list[str], order: list[str]
) -> None:
    values = {**EXPECTED_BLOCK_VALUES, "client_id": client_id, "deployment_id": deployment_id}
    block = "\n".join(
        f"{MOODLE_LABELS_EN[name]}{separator}{values[name]}"
        for name, separator in zip(order, separators, strict=True)
    )
    assert moodle_tool_details_parse(block) == values
