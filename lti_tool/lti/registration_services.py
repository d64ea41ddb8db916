"""Writes on registrations and deployments (style rule 2: services write)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lti_tool.lti.dynamic_registration import (
    PlatformConfiguration,
    platform_configuration_fetch,
    registration_confirmation_check,
    registration_confirmation_issue,
    registration_parameters_check,
)
from lti_tool.lti.dynamic_registration_client import (
    ClientRegistration,
    client_registration_post,
    tool_registration_payload,
)
from lti_tool.lti.endpoints import ToolEndpoints
from lti_tool.lti.models import Deployment, Registration

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistrationValues:
    """The values a platform gives for a registration (Moodle's six "tool details")."""

    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str


@dataclass(frozen=True)
class UpsertOutcome:
    registration: Registration
    created: bool
    deployments_added: tuple[str, ...]


@transaction.atomic
def registration_upsert(
    *,
    values: RegistrationValues,
    source: str,
    deployment_ids: Iterable[str] = (),
    active: bool = True,
) -> UpsertOutcome:
    """Create or update the registration (issuer, client_id) and accept these deployments.

    Idempotent: a second call with the same values changes nothing; a known registration
    gets its URLs refreshed and the new deployments added (Moodle: one per tool type).
    """
    registration = (
        Registration.objects.select_for_update()
        .filter(issuer=values.issuer, client_id=values.client_id)
        .first()
    )
    created = registration is None
    if registration is None:
        registration = Registration(issuer=values.issuer, client_id=values.client_id, source=source)
    registration.name = values.name or registration.name or values.issuer
    registration.auth_login_url = values.auth_login_url
    registration.auth_token_url = values.auth_token_url
    registration.key_set_url = values.key_set_url
    registration.active = active
    registration.save()
    added = tuple(
        deployment_id
        for deployment_id in dict.fromkeys(d.strip() for d in deployment_ids if d.strip())
        if _deployment_accept_or_create(registration=registration, deployment_id=deployment_id)
    )
    return UpsertOutcome(registration=registration, created=created, deployments_added=added)


def _deployment_accept_or_create(*, registration: Registration, deployment_id: str) -> bool:
    """Accept the deployment (an admin or the platform vouched for it); True when new."""
    deployment, created = Deployment.objects.get_or_create(
        registration=registration,
        deployment_id=deployment_id,
        defaults={"active": True, "accepted_at": timezone.now()},
    )
    if not created and not deployment.active:
        deployment_set_active(deployment=deployment, active=True)
    return created


@transaction.atomic
def deployment_set_active(*, deployment: Deployment, active: bool) -> Deployment:
    """Accept (or switch off) a deployment; an unknown one arrives inactive from a launch."""
    deployment.active = active
    if active:
        deployment.accepted_at = timezone.now()
    deployment.save(update_fields=["active", "accepted_at", "updated_at"])
    return deployment


@transaction.atomic
def registration_set_active(*, registration: Registration, active: bool) -> Registration:
    registration.active = active
    registration.save(update_fields=["active", "updated_at"])
    return registration


@transaction.atomic
def registration_complete_dynamic(
    *, configuration: PlatformConfiguration, answer: ClientRegistration
) -> UpsertOutcome:
    """Store what the platform answered to our dynamic registration (DR §3.6)."""
    name = configuration.display_name or answer.client_name
    return registration_upsert(
        values=RegistrationValues(
            name=name,
            issuer=configuration.issuer,
            client_id=answer.client_id,
            auth_login_url=configuration.authorization_endpoint,
            auth_token_url=configuration.token_endpoint,
            key_set_url=configuration.jwks_uri,
        ),
        source=Registration.Source.DYNAMIC,
        deployment_ids=[answer.deployment_id],
    )


def dynamic_registration_perform(
    *,
    openid_configuration: str,
    registration_token: str,
    confirmation: str,
    endpoints: ToolEndpoints,
) -> tuple[PlatformConfiguration, UpsertOutcome]:
    """The confirmed half of dynamic registration: check, register, store.

    Not atomic on purpose: the two HTTP calls to the platform stay outside any database
    transaction; only the final write is.
    """
    registration_parameters_check(
        openid_configuration=openid_configuration, registration_token=registration_token
    )
    registration_confirmation_check(
        confirmation=confirmation,
        openid_configuration=openid_configuration,
        registration_token=registration_token,
    )
    # Fetched again rather than carried in the form: the browser is not trusted with it.
    configuration = platform_configuration_fetch(openid_configuration)
    answer = client_registration_post(
        configuration=configuration,
        registration_token=registration_token,
        payload=tool_registration_payload(endpoints),
    )
    outcome = registration_complete_dynamic(configuration=configuration, answer=answer)
    logger.info(
        "dynamic registration stored: issuer=%s client_id=%s deployment=%s created=%s",
        configuration.issuer,
        answer.client_id,
        answer.deployment_id,
        outcome.created,
    )
    return configuration, outcome


def dynamic_registration_prepare(
    *, openid_configuration: str, registration_token: str
) -> tuple[PlatformConfiguration, str]:
    """The first half: check the platform and sign the confirmation form (DR §3.4, §3.5.1)."""
    registration_parameters_check(
        openid_configuration=openid_configuration, registration_token=registration_token
    )
    configuration = platform_configuration_fetch(openid_configuration)
    confirmation = registration_confirmation_issue(
        openid_configuration=openid_configuration, registration_token=registration_token
    )
    return configuration, confirmation
