"""The tool's public keyset (LTI Security Framework §6.3)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from lti_tool.lti.keys import tool_jwks

# Platforms cache our JWKS; a rotated key stays published for days, so an hour of
# caching never hides a key that is in use.
JWKS_MAX_AGE_SECONDS = 3600


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(tool_jwks())
    patch_cache_control(response, public=True, max_age=JWKS_MAX_AGE_SECONDS)
    return response
