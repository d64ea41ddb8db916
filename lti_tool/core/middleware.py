"""Renders ApplicationError raised by HTML views as a 4xx page a person can act on."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from lti_tool.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)


def render_application_error(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    logger.info("refused %s %s: %s (%s)", request.method, request.path, error.code, error.message)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {"message": error.message, "extra": error.extra}, status=error.status_code
        )
    return render(
        request,
        "core/error.html",
        {"error": error, "status": error.status_code},
        status=error.status_code,
    )


class ApplicationErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApplicationError):
            return render_application_error(request, exception)
        return None
