from __future__ import annotations

from django.urls import include, path

from lti_tool.lti.views import jwks, launch

app_name = "lti"

urlpatterns = [
    path("login/", launch.oidc_login, name="login"),
    path("launch/", launch.launch, name="launch"),
    # Registered as a second redirect URI and as Moodle's "deep linking URL";
    # the same view dispatches on the message type.
    path("deep-link/", launch.launch, name="deep_link"),
    path("jwks/", jwks.jwks, name="jwks"),
    path("", include("lti_tool.lti.registration_urls")),
]
