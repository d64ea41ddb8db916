"""NRPS 2.0 client: the members of a course, every page of them, over HTTP.

- GET the context memberships URL (it comes with each launch, NRPS 2.0 §3.6.1) with the
  exact membership-container media type and a Bearer token for the NRPS scope; the token
  is cached per (registration, scope set) like the AGS one (access_tokens.py).
- Paging follows ``Link: <…>; rel="next"`` (NRPS 2.0 §2.4.1). Moodle writes the quotes as
  typographic ones (``rel=“next”``) in raw UTF-8 bytes, which reach us decoded as latin-1:
  the parser accepts any quoting around ``next``. A next URL on another origin is refused
  (our Bearer token must not leave the platform), and a page loop stops at a bound.
- Roles come as short names (``Learner``, ``Instructor``): ``role_uri`` expands them.

Every failure is an ``AgsError`` subclass (ags/errors.py): transient (timeouts, 429, 5xx)
or permanent (4xx, 401 after a fresh token, unreadable body), with French messages for a
trainer.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from lti_tool.lti.access_tokens import AccessToken, access_token_get, access_token_invalidate
from lti_tool.lti.ags.client import with_query
from lti_tool.lti.ags.errors import (
    AgsConnectionError,
    AgsError,
    AgsPermanentError,
    AgsTimeout,
    body_excerpt,
    error_for_status,
)
from lti_tool.lti.constants import (
    SHORT_ROLE_PREFIX,
    SHORT_SUBROLE_PREFIX,
    MediaType,
    MemberStatus,
    Scope,
)
from lti_tool.lti.models import Registration

NRPS_SCOPES = (Scope.NRPS_MEMBERSHIP_READONLY,)
# A course of several thousand members at the platform's page size stays far below this;
# reaching it means the platform keeps answering with a next link.
MAX_PAGES = 500

# One link-value of a Link header (RFC 8288 §3): <target> then ;-separated parameters.
_LINK_VALUE = re.compile(r"<(?P<url>[^>]*)>(?P<params>[^<]*)")
_REL_PARAM = re.compile(r"rel\s*=\s*(?P<value>[^;,]*)", re.IGNORECASE)


class NrpsNotAvailable(AgsPermanentError):
    """The course's launches gave no memberships URL (NRPS off for the tool)."""

    code = "nrps_not_available"


@dataclass(frozen=True)
class Member:
    """NRPS 2.0 §2.2 one member, roles expanded to full URIs."""

    user_id: str
    roles: tuple[str, ...]
    status: str = MemberStatus.ACTIVE
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    # Course groups extension: ids of the groups the member belongs to, when sent.
    group_ids: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


@dataclass(frozen=True)
class MembershipPage:
    members: list[Member]
    next_url: str | None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Roster:
    """Every member of the course, and how many pages it took."""

    members: list[Member]
    pages: int
    context: dict[str, Any] = field(default_factory=dict)


def role_uri(role: str) -> str:
    """NRPS short names to the full URIs launches carry (LTI 1.3 §A.2.2)."""
    role = role.strip()
    if "://" in role or role.startswith("urn:"):
        return role
    if "#" in role:  # a short sub-role: "Instructor#TeachingAssistant"
        return SHORT_SUBROLE_PREFIX + role
    return SHORT_ROLE_PREFIX + role


def next_link(header: str | None) -> str | None:
    """The ``rel=next`` target of a Link header, whatever quotes surround ``next``."""
    if not header:
        return None
    for match in _LINK_VALUE.finditer(header):
        rel = _REL_PARAM.search(match["params"])
        if rel is None:
            continue
        # Strip every quoting character (ASCII, typographic, or its latin-1 mojibake).
        tokens = re.sub(r"[^\w\s-]|[\x80-\xff]", " ", rel["value"]).lower().split()
        if "next" in tokens and match["url"].strip():
            return match["url"].strip()
    return None


def _text(value: Any, limit: int = 255) -> str:
    return str(value)[:limit] if value is not None else ""


def _roles(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(role_uri(str(role)) for role in value if str(role).strip())


def _group_ids(value: Any) -> tuple[str, ...]:
    """Course groups extension: ``group_enrollments: [{"group_id": …}]`` on a member."""
    if not isinstance(value, list):
        return ()
    return tuple(_text(g["group_id"]) for g in value if isinstance(g, dict) and g.get("group_id"))


def member_parse(data: Any) -> Member | None:
    """One entry of ``members``; None for an entry without a user id."""
    if not isinstance(data, dict) or data.get("user_id") in (None, ""):
        return None  # NRPS 2.0 §2.2: user_id is required; a member without one is unusable
    # NRPS 2.0 §2.4: Active (the default), Inactive or Deleted; tolerate other casings.
    status = _text(data.get("status") or MemberStatus.ACTIVE, 20).strip().capitalize()
    return Member(
        user_id=_text(data["user_id"]),
        roles=_roles(data.get("roles")),
        status=status,
        name=_text(data.get("name")),
        given_name=_text(data.get("given_name")),
        family_name=_text(data.get("family_name")),
        email=_text(data.get("email"), 254),
        group_ids=_group_ids(data.get("group_enrollments")),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _send(url: str, token: AccessToken) -> requests.Response:
    started = time.monotonic()
    timeout = settings.LTI_HTTP_TIMEOUT_SECONDS
    try:
        return requests.get(
            url,
            headers={
                "Accept": MediaType.NRPS_MEMBERSHIP,
                "Authorization": f"Bearer {token.value}",
            },
            timeout=timeout,
            # A redirect could carry our token elsewhere: treat it as an answer.
            allow_redirects=False,
        )
    except requests.Timeout as error:
        raise AgsTimeout(
            _("La plateforme n'a pas donné la liste des participants dans le délai de %(s)s s.")
            % {"s": timeout},
            duration_ms=_ms(started),
            method="GET",
            url=url,
        ) from error
    except requests.RequestException as error:
        raise AgsConnectionError(
            _("La plateforme est injoignable (%(error)s) : liste des participants non mise à jour.")
            % {"error": type(error).__name__},
            duration_ms=_ms(started),
            method="GET",
            url=url,
        ) from error


def _message(status: int) -> str:
    if status in (401, 403):
        return _(
            "La plateforme refuse à Atelier la liste des participants (%(status)s) : dans "
            "Moodle, activez pour l'outil le service « Noms et rôles » (NRPS) et le partage "
            "des noms et adresses."
        ) % {"status": status}
    if status == 404:
        return _(
            "La liste des participants de ce cours est introuvable sur la plateforme (404) : "
            "relancez Atelier depuis le cours pour en obtenir l'adresse à jour."
        )
    if status == 429 or status >= 500:
        return _(
            "La plateforme n'a pas pu donner la liste des participants (%(status)s) : "
            "nouvel essai plus tard."
        ) % {"status": status}
    return _("La plateforme a refusé la demande de liste des participants (%(status)s).") % {
        "status": status
    }


def _get(registration: Registration, url: str) -> requests.Response:
    started = time.monotonic()
    try:
        token = access_token_get(registration=registration, scopes=NRPS_SCOPES)
        response = _send(url, token)
        refreshed = False
        if response.status_code == 401:
            # A revoked or expired token: one fresh try, as for AGS.
            access_token_invalidate(registration=registration, scopes=NRPS_SCOPES, token=token)
            token = access_token_get(registration=registration, scopes=NRPS_SCOPES)
            response = _send(url, token)
            refreshed = True
    except AgsError as error:
        error.duration_ms = _ms(started)
        raise
    if response.status_code == 200:
        return response
    raise error_for_status(response.status_code)(
        _message(response.status_code),
        status_code=response.status_code,
        body=response.text,
        duration_ms=_ms(started),
        method="GET",
        url=url,
        token_refreshed=refreshed,
    )


def _unreadable(response: requests.Response, url: str) -> AgsPermanentError:
    return AgsPermanentError(
        _(
            "La plateforme a répondu à la demande de liste des participants par un contenu "
            "illisible (liste « members » attendue)."
        ),
        status_code=response.status_code,
        body=body_excerpt(response.text),
        method="GET",
        url=url,
    )


def memberships_page(registration: Registration, url: str) -> MembershipPage:
    """One page of the membership container (NRPS 2.0 §2.2)."""
    response = _get(registration, url)
    try:
        data = json.loads(response.content)
    except ValueError as error:
        raise _unreadable(response, url) from error
    if not isinstance(data, dict) or not isinstance(data.get("members"), list):
        raise _unreadable(response, url)
    members = [m for m in (member_parse(entry) for entry in data["members"]) if m is not None]
    target = next_link(response.headers.get("Link"))
    context = data.get("context")
    return MembershipPage(
        members=members,
        next_url=urljoin(url, target) if target else None,
        context=context if isinstance(context, dict) else {},
    )


def _same_origin(first: str, other: str) -> bool:
    a, b = urlsplit(first), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def memberships_fetch(
    registration: Registration, memberships_url: str, *, page_size: int | None = None
) -> Roster:
    """Every member of the course, following ``rel=next`` pages to the end; ``page_size``
    asks the platform for pages of that many members (NRPS 2.0 §2.4.1 ``limit``)."""
    if not memberships_url:
        raise NrpsNotAvailable(
            _(
                "Moodle n'a pas transmis l'adresse de la liste des participants : activez pour "
                "l'outil le service « Noms et rôles » (NRPS), puis relancez Atelier depuis le cours."
            )
        )
    members: dict[str, Member] = {}
    seen: set[str] = set()
    url: str | None = (
        with_query(memberships_url, {"limit": str(page_size)}) if page_size else memberships_url
    )
    pages = 0
    context: dict[str, Any] = {}
    while url is not None:
        if url in seen or pages >= MAX_PAGES:
            raise AgsPermanentError(
                _(
                    "La plateforme renvoie sans fin vers d'autres pages de la liste des participants."
                ),
                method="GET",
                url=url,
            )
        if not _same_origin(memberships_url, url):
            raise AgsPermanentError(
                _("La page suivante de la liste des participants est sur un autre site : refusée."),
                method="GET",
                url=url,
            )
        seen.add(url)
        page = memberships_page(registration, url)
        pages += 1
        context = context or page.context
        for member in page.members:
            members[member.user_id] = member  # a member repeated across pages counts once
        url = page.next_url
    return Roster(members=list(members.values()), pages=pages, context=context)
