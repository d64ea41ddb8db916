"""Helpers shared by the platform's views."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from lti_tool.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)


def request_base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def plain_text(message: str, *, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def plain_text_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Machine endpoints answer refusals as plain text with the status, like Moodle."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            logger.info("demo refused %s %s: %s", request.method, request.path, error.message)
            return plain_text(error.message, status=error.status_code)

    return wrapper


def content_type_of(request: HttpRequest) -> str:
    """The media type without parameters (charset...), compared exactly afterwards."""
    return request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip()
