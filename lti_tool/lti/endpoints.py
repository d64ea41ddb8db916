"""The tool's public LTI endpoints for a given base URL (what an admin types into Moodle)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class ToolEndpoints:
    base_url: str
    login_url: str
    launch_url: str
    deep_link_url: str
    jwks_url: str
    registration_url: str

    @property
    def redirect_uris(self) -> list[str]:
        # Moodle compares redirect_uri character for character (shared/moodle.md).
        return [self.launch_url, self.deep_link_url]

    @property
    def domain(self) -> str:
        """host[:port] of the tool, as Dynamic Registration's ``domain`` wants it."""
        return self.base_url.split("://", 1)[1]

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = asdict(self)
        data["redirect_uris"] = self.redirect_uris
        data["domain"] = self.domain
        return data


def tool_endpoints(base_url: str) -> ToolEndpoints:
    base = base_url.rstrip("/")
    return ToolEndpoints(
        base_url=base,
        login_url=base + reverse("lti:login"),
        launch_url=base + reverse("lti:launch"),
        deep_link_url=base + reverse("lti:deep_link"),
        jwks_url=base + reverse("lti:jwks"),
        registration_url=base + reverse("lti:register"),
    )


def tool_base_url(request: HttpRequest | None = None) -> str:
    """The configured public base URL, else the one the request came in on."""
    if settings.LTI_TOOL_BASE_URL:
        return str(settings.LTI_TOOL_BASE_URL).rstrip("/")
    if request is None:
        raise ValueError("ATELIER_BASE_URL is not set and there is no request to read it from.")
    return f"{request.scheme}://{request.get_host()}"


def tool_endpoints_for_request(request: HttpRequest) -> ToolEndpoints:
    return tool_endpoints(tool_base_url(request))
