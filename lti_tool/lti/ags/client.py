"""AGS 2.0 client: line items and scores over HTTP, with Moodle 4.3's exact rules.

- Media types are compared exactly by Moodle (``application/json`` gets 415).
- The scores URL is the line-item URL with ``/scores`` inserted before its query string
  (``.../lineitem?type_id=3`` → ``.../lineitem/scores?type_id=3``).
- A score POST answers 200 with an empty body (others answer 201/204).
- Line items are looked up with filters, never by following ``Link`` headers (Moodle
  writes ``rel=“next”`` with typographic quotes).

Every call has a timeout; every failure is an ``AgsError`` with the platform's status, a
body excerpt and the duration (see errors.py). A 401 drops the cached token and retries
once with a fresh one.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from lti_tool.lti.access_tokens import AccessToken, access_token_get, access_token_invalidate
from lti_tool.lti.ags.errors import (
    AgsConnectionError,
    AgsError,
    AgsPermanentError,
    AgsTimeout,
    body_excerpt,
    error_for_status,
    message_for_status,
)
from lti_tool.lti.constants import AGS_SCOPES, ActivityProgress, GradingProgress, MediaType
from lti_tool.lti.models import Registration

SCORE_SUCCESS = (200, 201, 204)
_local = threading.local()


def _session() -> requests.Session:
    """One keep-alive session per thread: a worker posting hundreds of scores reuses its
    connections (requests.Session is not guaranteed thread-safe, hence per thread)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def http_session_close() -> None:
    """Close this thread's keep-alive connections (a worker shutting down, a test ending
    while the platform's server thread still holds the connection open)."""
    session = getattr(_local, "session", None)
    if session is not None:
        session.close()
        _local.session = None


@dataclass(frozen=True)
class LineItemData:
    """AGS 2.0 §3.2 line item as the platform describes it."""

    url: str
    label: str
    score_maximum: Decimal
    tag: str = ""
    resource_id: str = ""
    resource_link_id: str = ""

    @classmethod
    def from_json(cls, data: Any) -> LineItemData:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ValueError("line item without id")
        try:
            maximum = Decimal(str(data.get("scoreMaximum")))
        except InvalidOperation as error:
            raise ValueError("line item without a numeric scoreMaximum") from error
        return cls(
            url=data["id"],
            label=str(data.get("label") or ""),
            score_maximum=maximum,
            tag=str(data.get("tag") or ""),
            resource_id=str(data.get("resourceId") or ""),
            resource_link_id=str(data.get("resourceLinkId") or ""),
        )


@dataclass(frozen=True)
class AgsResponse:
    """What a successful call leaves for the caller's records."""

    status_code: int
    duration_ms: int
    body_excerpt: str = ""
    token_refreshed: bool = False


@dataclass(frozen=True)
class _Answer:
    response: requests.Response
    meta: AgsResponse


def with_query(url: str, params: dict[str, str]) -> str:
    """Add query parameters to a URL that may already carry some (Moodle's type_id)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(kept + list(params.items()))))


def scores_url(lineitem_url: str) -> str:
    """AGS 2.0 §3.4: ``/scores`` goes on the path, before the query string."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _send(
    method: str, url: str, token: AccessToken, headers: dict[str, str], body: bytes | None
) -> requests.Response:
    started = time.monotonic()
    timeout = settings.LTI_HTTP_TIMEOUT_SECONDS
    try:
        return _session().request(
            method,
            url,
            data=body,
            headers={**headers, "Authorization": f"Bearer {token.value}"},
            timeout=timeout,
            # A redirected POST would be replayed as a GET: treat redirects as answers.
            allow_redirects=False,
        )
    except requests.Timeout as error:
        raise AgsTimeout(
            _("La plateforme n'a pas répondu dans le délai de %(s)s s : nouvel essai automatique.")
            % {"s": timeout},
            duration_ms=_ms(started),
            method=method,
            url=url,
        ) from error
    except requests.RequestException as error:
        raise AgsConnectionError(
            _("La plateforme est injoignable (%(error)s) : nouvel essai automatique.")
            % {"error": type(error).__name__},
            duration_ms=_ms(started),
            method=method,
            url=url,
        ) from error


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None  # an HTTP-date: let the caller's backoff decide


def _call(
    registration: Registration,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    payload: dict[str, Any] | None = None,
    success: tuple[int, ...] = (200,),
    scores: bool = False,
) -> _Answer:
    started = time.monotonic()
    body = json.dumps(payload).encode() if payload is not None else None
    try:
        token = access_token_get(registration=registration, scopes=AGS_SCOPES)
        response = _send(method, url, token, headers, body)
        refreshed = False
        if response.status_code == 401:
            # The token may have been revoked or the platform restarted: one fresh try.
            access_token_invalidate(registration=registration, scopes=AGS_SCOPES, token=token)
            token = access_token_get(registration=registration, scopes=AGS_SCOPES)
            response = _send(method, url, token, headers, body)
            refreshed = True
    except AgsError as error:
        error.duration_ms = _ms(started)
        raise
    meta = AgsResponse(
        status_code=response.status_code,
        duration_ms=_ms(started),
        body_excerpt=body_excerpt(response.text),
        token_refreshed=refreshed,
    )
    if response.status_code in success:
        return _Answer(response, meta)
    error_class = error_for_status(response.status_code)
    raise error_class(
        message_for_status(response.status_code, detail=meta.body_excerpt, scores=scores),
        status_code=response.status_code,
        body=response.text,
        duration_ms=meta.duration_ms,
        method=method,
        url=url,
        retry_after_seconds=_retry_after(response),
        token_refreshed=refreshed,
    )


def _json(answer: _Answer, url: str) -> Any:
    try:
        return json.loads(answer.response.content)
    except ValueError as error:
        raise AgsPermanentError(
            _("La plateforme a répondu par un contenu illisible (JSON attendu)."),
            status_code=answer.meta.status_code,
            body=answer.response.text,
            duration_ms=answer.meta.duration_ms,
            method=answer.response.request.method or "",
            url=url,
        ) from error


def _line_item(answer: _Answer, url: str) -> LineItemData:
    try:
        return LineItemData.from_json(_json(answer, url))
    except ValueError as error:
        raise AgsPermanentError(
            _("La plateforme a décrit la colonne de notes sans « id » ni « scoreMaximum »."),
            status_code=answer.meta.status_code,
            body=answer.response.text,
            duration_ms=answer.meta.duration_ms,
            url=url,
        ) from error


def line_items_find(
    registration: Registration,
    lineitems_url: str,
    *,
    resource_link_id: str | None = None,
    tag: str | None = None,
    resource_id: str | None = None,
) -> list[LineItemData]:
    """AGS 2.0 §3.2.4 GET on the container, filtered by the platform (Moodle supports
    resource_link_id, resource_id and tag) and again here, in case a platform ignores them."""
    filters = {
        name: value
        for name, value in (
            ("resource_link_id", resource_link_id),
            ("tag", tag),
            ("resource_id", resource_id),
        )
        if value
    }
    url = with_query(lineitems_url, filters)
    answer = _call(registration, "GET", url, headers={"Accept": MediaType.LINEITEM_CONTAINER})
    data = _json(answer, url)
    if not isinstance(data, list):
        data = []
    items = []
    for entry in data:
        try:
            items.append(LineItemData.from_json(entry))
        except ValueError:
            continue
    return [
        item
        for item in items
        if (not resource_link_id or item.resource_link_id == resource_link_id)
        and (not tag or item.tag == tag)
        and (not resource_id or item.resource_id == resource_id)
    ]


def _number(value: Decimal | float | int) -> int | float:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def line_item_create(
    registration: Registration,
    lineitems_url: str,
    *,
    label: str,
    score_maximum: Decimal | float | int,
    tag: str,
    resource_id: str,
    resource_link_id: str,
) -> LineItemData:
    """AGS 2.0 §3.2.5 POST a new line item (Moodle: a "manual item" grade column)."""
    payload = {
        "label": label,
        "scoreMaximum": _number(score_maximum),
        "tag": tag,
        "resourceId": resource_id,
        "resourceLinkId": resource_link_id,
    }
    answer = _call(
        registration,
        "POST",
        lineitems_url,
        headers={"Content-Type": MediaType.LINEITEM, "Accept": MediaType.LINEITEM},
        payload=payload,
        success=(200, 201),
    )
    return _line_item(answer, lineitems_url)


def line_item_get(registration: Registration, lineitem_url: str) -> LineItemData:
    answer = _call(registration, "GET", lineitem_url, headers={"Accept": MediaType.LINEITEM})
    return _line_item(answer, lineitem_url)


def score_timestamp_format(timestamp: datetime) -> str:
    """AGS 2.0 §3.4.3: ISO 8601 with a timezone (a naive datetime is a bug here)."""
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise ValueError("score timestamps must be timezone-aware")
    return timestamp.isoformat()


def score_post(
    registration: Registration,
    lineitem_url: str,
    *,
    user_id: str,
    score_given: Decimal | float | int | None,
    score_maximum: Decimal | float | int,
    comment: str | None,
    timestamp: datetime,
    activity_progress: str = ActivityProgress.COMPLETED,
    grading_progress: str = GradingProgress.FULLY_GRADED,
) -> AgsResponse:
    """AGS 2.0 §3.4 publish a score. Success is 200 (Moodle, empty body), 201 or 204."""
    payload: dict[str, Any] = {
        "userId": str(user_id),
        "activityProgress": str(activity_progress),
        "gradingProgress": str(grading_progress),
        "timestamp": score_timestamp_format(timestamp),
    }
    if score_given is not None:
        payload["scoreGiven"] = _number(score_given)
        payload["scoreMaximum"] = _number(score_maximum)
    if comment:
        payload["comment"] = comment
    answer = _call(
        registration,
        "POST",
        scores_url(lineitem_url),
        headers={"Content-Type": MediaType.SCORE},
        payload=payload,
        success=SCORE_SUCCESS,
        scores=True,
    )
    return answer.meta
