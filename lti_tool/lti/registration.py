"""Reads on registrations (selectors) and the reading of Moodle's "tool details" block.

Writes live in ``registration_services``; the dynamic-registration protocol in
``dynamic_registration``.
"""

from __future__ import annotations

import re

from django.db.models import Count, Prefetch, Q, QuerySet

from lti_tool.lti.models import Deployment, Registration

# --- selectors ------------------------------------------------------------------------


def registration_list() -> QuerySet[Registration]:
    """Every registration with its deployments, those awaiting acceptance counted."""
    return Registration.objects.annotate(
        pending_count=Count("deployments", filter=Q(deployments__active=False))
    ).prefetch_related(
        Prefetch("deployments", queryset=Deployment.objects.order_by("active", "deployment_id"))
    )


def registration_get(*, pk: int) -> Registration | None:
    return Registration.objects.filter(pk=pk).first()


def deployment_get(*, pk: int) -> Deployment | None:
    return Deployment.objects.select_related("registration").filter(pk=pk).first()


def deployments_pending() -> QuerySet[Deployment]:
    """Deployments first seen in a launch, waiting for an admin (design.md §3)."""
    return Deployment.objects.select_related("registration").filter(active=False)


# --- Moodle's "Tool configuration details" ---------------------------------------------

# The labels Moodle 4.3 shows after a manual registration (Manage tools → the tool's
# "details" icon), in English and French, matched loosely: the block is pasted from a
# modal, so the separator may be tabs, spaces, a colon or a line break.
_APOS = "['\u2019]"
MOODLE_LABELS: dict[str, str] = {
    "key_set_url": (
        r"public\s+key\s*set\s+url|key\s*set\s+url|jwks\s+url"
        r"|url\s+(?:du|de\s+l[a'\u2019]?)\s*(?:jeu\s+de\s+cl[ée]s(?:\s+publiques)?|keyset)"
    ),
    "auth_token_url": (rf"access\s+token\s+url|url\s+(?:du\s+)?jeton(?:\s+d{_APOS}\s*acc[èe]s)?"),
    "auth_login_url": (
        rf"authentication\s+request\s+url|url\s+de\s+(?:la\s+)?demande\s+d{_APOS}\s*authentification"
    ),
    "deployment_id": r"deployment\s+id|id(?:entifiant)?\s+(?:de\s+|du\s+)?d[ée]ploiement",
    "client_id": r"client\s+id|id(?:entifiant)?\s+(?:du\s+)?client",
    "issuer": (
        r"platform\s+id|id(?:entifiant)?\s+(?:de\s+)?(?:la\s+)?plate-?forme|issuer|[ée]metteur"
    ),
}
_SEPARATOR = "[ \t]*[:\uff1a]?[ \t]*(?:\r?\n[ \t]*)?"
_VALUE = r"([^\s\"'<>]+)"


def moodle_tool_details_parse(text: str) -> dict[str, str]:
    """Read the six values of Moodle's tool-details block; absent ones are left out.

    >>> moodle_tool_details_parse("Platform ID\\thttps://m.example\\nClient ID: abc")
    {'issuer': 'https://m.example', 'client_id': 'abc'}
    """
    found: dict[str, str] = {}
    for line_start in _line_starts(text):
        for name, label in MOODLE_LABELS.items():
            if name in found:
                continue
            match = re.match(rf"(?:{label}){_SEPARATOR}{_VALUE}", text[line_start:], re.I)
            if match:
                found[name] = match.group(1).strip().rstrip(",;")
                break
    return _ordered(found)


def _line_starts(text: str) -> list[int]:
    """Offsets of the first non-blank character of each line."""
    return [m.start(1) for m in re.finditer(r"(?m)^[ \t]*(\S)", text)]


def _ordered(found: dict[str, str]) -> dict[str, str]:
    order = (
        "issuer",
        "client_id",
        "deployment_id",
        "key_set_url",
        "auth_token_url",
        "auth_login_url",
    )
    return {name: found[name] for name in order if name in found}
