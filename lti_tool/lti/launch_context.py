"""The typed launch other apps see as ``request.lti_launch`` (a null object when absent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lti_tool.lti.constants import (
    LEARNER_ROLES,
    TRAINER_ROLES,
    Claim,
    MessageType,
    role_short_name,
)


@dataclass(frozen=True)
class LtiLaunch:
    launch_id: str
    message_type: str
    registration_id: int
    deployment_id: int
    lti_user_id: int
    user_id: int
    context_id: int | None
    resource_link_id: int | None
    roles: tuple[str, ...]
    locale: str
    document_target: str
    return_url: str
    claims: dict[str, Any] = field(repr=False)

    present = True

    @classmethod
    def from_store(cls, launch_id: str, data: dict[str, Any]) -> LtiLaunch:
        return cls(
            launch_id=launch_id,
            message_type=data["message_type"],
            registration_id=data["registration_id"],
            deployment_id=data["deployment_id"],
            lti_user_id=data["lti_user_id"],
            user_id=data["user_id"],
            context_id=data["context_id"],
            resource_link_id=data["resource_link_id"],
            roles=tuple(data["roles"]),
            locale=data["locale"],
            document_target=data["document_target"],
            return_url=data["return_url"],
            claims=data["claims"],
        )

    @property
    def role_names(self) -> list[str]:
        return [role_short_name(role) for role in self.roles]

    @property
    def is_trainer(self) -> bool:
        return bool(TRAINER_ROLES.intersection(self.roles))

    @property
    def is_student(self) -> bool:
        return bool(LEARNER_ROLES.intersection(self.roles))

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == MessageType.DEEP_LINKING

    @property
    def language(self) -> str:
        return "en" if self.locale.lower().startswith("en") else "fr"

    @property
    def platform_origin(self) -> str:
        issuer = str(self.claims.get("iss", ""))
        parts = issuer.split("/")
        return "/".join(parts[:3]) if len(parts) >= 3 else ""

    @property
    def context_claim(self) -> dict[str, Any]:
        value = self.claims.get(Claim.CONTEXT)
        return value if isinstance(value, dict) else {}


class AbsentLaunch:
    """Null object: the request carries no (valid) launch id."""

    present = False
    launch_id = ""
    is_trainer = False
    is_student = False
    is_deep_linking = False
    context_id = None
    resource_link_id = None
    language = "fr"


ABSENT_LAUNCH = AbsentLaunch()
