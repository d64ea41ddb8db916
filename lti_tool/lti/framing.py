"""Letting a platform frame our LTI pages (shared/moodle.md, "Framing").

Moodle shows the launch page, the deep-linking catalogue and the dynamic-registration
page inside an iframe of another origin. Django's ``X-Frame-Options: DENY`` would blank
them, and ``X-Frame-Options`` cannot name an origin, so LTI views are exempted from it
(``xframe_options_exempt``) and send a CSP ``frame-ancestors`` naming the platform(s)
instead (CSP Level 2 §7.7.3). Staff pages outside LTI keep DENY.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.http import HttpResponse

DEFAULT_PORTS = {"http": 80, "https": 443}
# scheme://host[:port], nothing else: an origin that reaches the header must not be able
# to smuggle another directive (";") or a wildcard.
_ORIGIN_RE = re.compile(
    r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?$"
)


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL (default port left out), else None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def same_origin(url_a: str, url_b: str) -> bool:
    """RFC 6454 §5: same scheme, host and port (default ports made explicit)."""
    origin_a = origin_of(url_a)
    return origin_a is not None and origin_a == origin_of(url_b)


def frame_ancestors_header(origins: Iterable[str]) -> str:
    """The CSP value allowing exactly these origins (URLs are reduced to their origin).

    No valid origin gives ``frame-ancestors 'none'``: a page is never opened to any framer
    by accident.
    """
    allowed: list[str] = []
    for value in origins:
        origin = origin_of(value)
        if origin and _ORIGIN_RE.match(origin) and origin not in allowed:
            allowed.append(origin)
    return "frame-ancestors " + (" ".join(allowed) if allowed else "'none'")


def allow_framing_by(response: HttpResponse, origins: Iterable[str]) -> HttpResponse:
    """Let these origins (only) frame the response; use on views marked xframe_options_exempt."""
    response["Content-Security-Policy"] = frame_ancestors_header(origins)
    # Belt and braces with @xframe_options_exempt: XFrameOptionsMiddleware skips responses
    # carrying this flag, and a stale X-Frame-Options would override the CSP in old browsers.
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    if "X-Frame-Options" in response:
        del response["X-Frame-Options"]
    return response
