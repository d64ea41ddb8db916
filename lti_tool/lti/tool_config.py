"""pylti1p3 tool configuration backed by the Registration/Deployment tables.

One issuer may have several client ids (several Moodle tool types), so every lookup goes
through (issuer, client_id); the issuer-only lookup answers only when it is unambiguous.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as PyltiDeployment
from pylti1p3.registration import Registration as PyltiRegistration
from pylti1p3.tool_config import ToolConfAbstract

from lti_tool.lti.models import Deployment, Registration


def pylti_registration(registration: Registration) -> PyltiRegistration:
    return (
        PyltiRegistration()
        .set_issuer(registration.issuer)
        .set_client_id(registration.client_id)
        .set_auth_login_url(registration.auth_login_url)
        .set_auth_token_url(registration.auth_token_url)
        .set_auth_audience(registration.token_audience)
        .set_key_set_url(registration.key_set_url)
    )


class DatabaseToolConf(ToolConfAbstract[Any]):
    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def registration_row(self, iss: str, client_id: str | None) -> Registration | None:
        rows = Registration.objects.filter(issuer=iss)
        if client_id:
            return rows.filter(client_id=client_id).first()
        candidates = list(rows[:2])
        return candidates[0] if len(candidates) == 1 else None

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        row = self.registration_row(iss, None)
        return pylti_registration(row) if row else None

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        row = self.registration_row(iss, client_id)
        return pylti_registration(row) if row else None

    def find_deployment(self, iss: str, deployment_id: str) -> PyltiDeployment | None:
        return self._deployment(Deployment.objects.filter(registration__issuer=iss), deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> PyltiDeployment | None:
        rows = Deployment.objects.filter(
            registration__issuer=iss, registration__client_id=client_id
        )
        return self._deployment(rows, deployment_id)

    @staticmethod
    def _deployment(rows: Any, deployment_id: str) -> PyltiDeployment | None:
        if not rows.filter(deployment_id=deployment_id, active=True).exists():
            return None
        return PyltiDeployment().set_deployment_id(deployment_id)
