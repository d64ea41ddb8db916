"""Drive real launches: the test plays the browser between the tool and the built-in
platform, over real HTTP against pytest-django's live server."""

from __future__ import annotations

import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import jwt
import requests


class _FormParser(HTMLParser):
    def __init__(self, form_id: str | None) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (self.form_id is None or attributes.get("id") == self.form_id):
            self.inside = True
            self.action = attributes.get("action") or ""
        elif tag == "input" and self.inside and attributes.get("name"):
            self.fields[str(attributes["name"])] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False


def parse_form(html: str, form_id: str | None = None) -> tuple[str, dict[str, str]]:
    parser = _FormParser(form_id)
    parser.feed(html)
    assert parser.action is not None, f"no form {form_id!r} in page:\n{html[:2000]}"
    return parser.action, parser.fields


@dataclass
class AuthResponse:
    """What the platform's auth endpoint posts back to the tool."""

    launch_url: str
    id_token: str
    state: str

    @property
    def claims(self) -> dict[str, Any]:
        return jwt.decode(self.id_token, options={"verify_signature": False})

    @property
    def header(self) -> dict[str, Any]:
        return jwt.get_unverified_header(self.id_token)


def login_and_authorize(
    session: requests.Session, login_url: str, fields: dict[str, str]
) -> AuthResponse:
    """POST the login initiation like Moodle, follow the tool's redirect to the platform's
    auth endpoint, and read the auto-submitted form it answers with."""
    login = session.post(login_url, data=fields, allow_redirects=False, timeout=10)
    assert login.status_code == 302, login.text[:2000]
    auth = session.get(login.headers["Location"], timeout=10)
    assert auth.status_code == 200, auth.text[:2000]
    action, form = parse_form(auth.text, "lti-auto-submit")
    return AuthResponse(launch_url=action, id_token=form["id_token"], state=form["state"])


def post_launch(
    session: requests.Session, auth: AuthResponse, *, id_token: str | None = None
) -> requests.Response:
    return session.post(
        auth.launch_url,
        data={"id_token": id_token if id_token is not None else auth.id_token, "state": auth.state},
        allow_redirects=False,
        timeout=10,
    )


def resign(
    claims: dict[str, Any],
    *,
    private_key: bytes | str,
    kid: str | None,
    algorithm: str = "RS256",
    extra_headers: dict[str, Any] | None = None,
) -> str:
    headers: dict[str, Any] = dict(extra_headers or {})
    if kid is not None:
        headers["kid"] = kid
    return jwt.encode(claims, private_key, algorithm=algorithm, headers=headers)


def now() -> int:
    return int(time.time())
