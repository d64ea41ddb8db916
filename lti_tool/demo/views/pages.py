"""The platform's pages for people: the course, launches, registration, gradebook."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from lti_tool.core.exceptions import NotFound, ValidationFailed
from lti_tool.demo.launch import DOCUMENT_TARGETS, login_initiation
from lti_tool.demo.models import DemoPlatform, DemoResourceLink, DemoTool, DemoUser
from lti_tool.demo.registration import registration_token_issue
from lti_tool.demo.selectors import (
    course_enrolments,
    course_links,
    gradebook_rows,
    platform_course,
    platform_get_for_base_url,
    platform_tool_current,
    platform_url,
    user_get,
)
from lti_tool.demo.services import demo_platform_setup, demo_tool_activate
from lti_tool.demo.views.common import request_base_url


def _platform(request: HttpRequest) -> DemoPlatform:
    platform = platform_get_for_base_url(request_base_url(request))
    if platform is None:
        raise NotFound(
            _("La plateforme de démonstration n'est pas initialisée pour %(url)s.")
            % {"url": request_base_url(request)},
            extra={"hint": _("Ouvrez /demo/ et cliquez sur « Initialiser la plateforme ».")},
        )
    return platform


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    platform = platform_get_for_base_url(request_base_url(request))
    if platform is None:
        return render(request, "demo/home.html", {"platform": None})
    course = platform_course(platform)
    return render(
        request,
        "demo/home.html",
        {
            "platform": platform,
            # The newest registration is the one an admin has to look at (it may be
            # pending while an older one still serves launches).
            "tool": platform.tools.order_by("-pk").first(),
            "launch_tool": platform_tool_current(platform),
            "course": course,
            "enrolments": course_enrolments(course),
            "links": course_links(course),
            "registration_url": request_base_url(request) + "/lti/register/",
            "endpoints": {
                "openid_configuration": platform_url(platform, "openid_configuration"),
                "jwks": platform_url(platform, "jwks"),
                "auth": platform_url(platform, "auth"),
                "token": platform_url(platform, "token"),
            },
        },
    )


@require_POST
def setup(request: HttpRequest) -> HttpResponse:
    demo_platform_setup(base_url=request_base_url(request))
    return redirect("demo:home")


@require_POST
def registration_start(request: HttpRequest) -> HttpResponse:
    """Moodle's "Add LTI Advantage": the tool's page opens in a dialog with a fresh token."""
    platform = _platform(request)
    tool_url = request.POST.get("registration_url", "").strip()
    if not tool_url.startswith(("http://", "https://")):
        raise ValidationFailed(_("Indiquez l'URL d'enregistrement de l'outil (http…)."))
    query = urlencode(
        {
            "openid_configuration": platform_url(platform, "openid_configuration"),
            "registration_token": registration_token_issue(platform),
        }
    )
    separator = "&" if "?" in tool_url else "?"
    return render(request, "demo/registration.html", {"frame_url": f"{tool_url}{separator}{query}"})


@require_POST
def tool_activate(request: HttpRequest, tool_id: int) -> HttpResponse:
    tool = get_object_or_404(DemoTool, pk=tool_id, platform=_platform(request))
    demo_tool_activate(tool=tool)
    return redirect("demo:home")


@dataclass(frozen=True)
class _LaunchRequest:
    platform: DemoPlatform
    params: dict[str, str]
    user: DemoUser
    link: DemoResourceLink | None


def _launch_request(request: HttpRequest) -> _LaunchRequest:
    """Who launches what, read from the launch button's query string."""
    platform = _platform(request)
    target = request.GET.get("target", "iframe")
    if target not in DOCUMENT_TARGETS:
        raise ValidationFailed(_("Affichage inconnu : %(t)s.") % {"t": target})
    params = {"user": request.GET.get("user", ""), "target": target}
    link = None
    if request.GET.get("deep_linking") == "1":
        params["deep_linking"] = "1"
    else:
        params["link"] = request.GET.get("link", "")
        link = DemoResourceLink.objects.filter(
            pk=int(params["link"]) if params["link"].isdigit() else 0, course__platform=platform
        ).first()
        if link is None:
            raise NotFound(_("Cette activité n'existe pas dans le cours."))
    user = user_get(platform=platform, user_id=params["user"])
    if user is None:
        raise ValidationFailed(_("Choisissez un utilisateur de la plateforme."))
    return _LaunchRequest(platform=platform, params=params, user=user, link=link)


@require_GET
def launch(request: HttpRequest) -> HttpResponse:
    """Moodle's "embed" container: the course page with the tool in an iframe."""
    launch = _launch_request(request)
    start = reverse("demo:launch_start") + "?" + urlencode(launch.params)
    window = reverse("demo:launch_start") + "?" + urlencode({**launch.params, "target": "window"})
    return render(
        request,
        "demo/launch.html",
        {
            "user": launch.user,
            "link": launch.link,
            "start_url": start,
            "window_url": window,
            "course": platform_course(launch.platform),
        },
    )


@xframe_options_sameorigin
@require_GET
def launch_start(request: HttpRequest) -> HttpResponse:
    """OIDC third-party initiated login: a form POST to the tool, as Moodle sends it."""
    launch = _launch_request(request)
    url, fields = login_initiation(
        platform=launch.platform,
        user=launch.user,
        resource_link=launch.link,
        deep_linking="deep_linking" in launch.params,
        document_target=launch.params["target"],
    )
    return render(
        request,
        "demo/auto_post.html",
        {
            "form_id": "lti-login-initiation",
            "action": url,
            "fields": fields,
            "title": _("Connexion à l'outil…"),
        },
    )


@require_GET
def gradebook(request: HttpRequest) -> HttpResponse:
    platform = _platform(request)
    course = platform_course(platform)
    learners = [e.user for e in course_enrolments(course) if e.role == "Learner"]
    return render(
        request,
        "demo/gradebook.html",
        {"course": course, "learners": learners, "rows": gradebook_rows(course)},
    )
