"""What a validated launch writes: idempotent upserts, even for simultaneous first launches."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from lti_tool.lti.constants import Claim, MessageType, Role
from lti_tool.lti.launch import ValidatedLaunch
from lti_tool.lti.models import Context, Deployment, LtiUser, Membership, Registration, ResourceLink
from lti_tool.lti.services import launch_record

pytestmark = pytest.mark.django_db(transaction=True)


def _validated() -> ValidatedLaunch:
    registration = Registration.objects.create(
        name="Moodle",
        issuer="https://moodle.example",
        client_id="c1",
        auth_login_url="https://moodle.example/mod/lti/auth.php",
        auth_token_url="https://moodle.example/mod/lti/token.php",
        key_set_url="https://moodle.example/mod/lti/certs.php",
        source=Registration.Source.MANUAL,
    )
    deployment = Deployment.objects.create(
        registration=registration, deployment_id="3", active=True
    )
    claims: dict[str, Any] = {
        "iss": registration.issuer,
        "sub": "42",
        "name": "Léa Bernard",
        Claim.MESSAGE_TYPE.value: MessageType.RESOURCE_LINK.value,
        Claim.ROLES.value: [Role.LEARNER.value],
        Claim.CONTEXT.value: {"id": "7", "label": "DECESF", "title": "Travail social collectif"},
        Claim.RESOURCE_LINK.value: {"id": "12", "title": "Scénario"},
        Claim.LAUNCH_PRESENTATION.value: {"locale": "fr"},
    }
    return ValidatedLaunch(registration, deployment, claims)


def test_launching_again_updates_the_same_rows() -> None:
    validated = _validated()
    first = launch_record(launch=validated)
    validated.claims["name"] = "Léa Bernard-Martin"
    second = launch_record(launch=validated)
    assert first.lti_user_id == second.lti_user_id and first.launch_id != second.launch_id
    assert LtiUser.objects.get().name == "Léa Bernard-Martin"


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs concurrent transactions (PostgreSQL)"
)
def test_two_simultaneous_first_launches_both_succeed_without_duplicates() -> None:
    validated = _validated()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def launch_once() -> None:
        try:
            barrier.wait(timeout=10)
            launch_record(launch=validated)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=launch_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert LtiUser.objects.count() == 1
    assert Context.objects.count() == 1
    assert Membership.objects.count() == 1
    assert ResourceLink.objects.count() == 1
