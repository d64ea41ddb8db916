"""Writes of the built-in platform: setting it up, attaching or registering the tool.

The launch helpers (``login_initiation``, ``id_token_claims``) live in ``launch.py`` and
are re-exported here, so that the start script and the tests find every demo service in
one module.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import UpstreamUnavailable, ValidationFailed
from lti_tool.demo.constants import REGISTRATION_CLOSE_SUBJECT, SUPPORTED_SCOPES
from lti_tool.demo.crypto import HTTP_TIMEOUT_SECONDS, jwt_unverified_claims, rsa_key_generate
from lti_tool.demo.launch import id_token_claims, login_initiation
from lti_tool.demo.models import (
    DemoCourse,
    DemoEnrolment,
    DemoLineItem,
    DemoPlatform,
    DemoRegistrationToken,
    DemoResourceLink,
    DemoTool,
    DemoUser,
)
from lti_tool.demo.registration import client_id_new, registration_token_issue
from lti_tool.demo.selectors import COURSE_LABEL, platform_url

__all__ = [
    "demo_platform_setup",
    "demo_register_with_tool",
    "demo_tool_activate",
    "demo_tool_attach",
    "id_token_claims",
    "login_initiation",
    "platform_signing_key",
    "registration_token_issue",
]

logger = logging.getLogger(__name__)

COURSE_TITLE = "DECESF — Travail social collectif"
DEMO_SCORE_MAXIMUM = Decimal(20)
EMAIL_DOMAIN = "demo.atelier.test"

# (username, given name, family name, locale, course role, site admin). Fictional people.
DEMO_PEOPLE = (
    ("claire.martin", "Claire", "Martin", "fr", DemoEnrolment.Role.INSTRUCTOR, False),
    ("lea.bernard", "Léa", "Bernard", "fr", DemoEnrolment.Role.LEARNER, False),
    ("hugo.petit", "Hugo", "Petit", "fr", DemoEnrolment.Role.LEARNER, False),
    ("ines.moreau", "Inès", "Moreau", "fr", DemoEnrolment.Role.LEARNER, False),
    ("lucas.fontaine", "Lucas", "Fontaine", "fr", DemoEnrolment.Role.LEARNER, False),
    # An exchange student whose Moodle is in English: the tool must answer in English.
    ("chloe.lambert", "Chloé", "Lambert", "en", DemoEnrolment.Role.LEARNER, False),
    # Moodle site admins get Administrator + Instructor in the courses they teach.
    ("nadia.roussel", "Nadia", "Roussel", "fr", DemoEnrolment.Role.INSTRUCTOR, True),
)
DEMO_ACTIVITIES = (
    (
        "Situation 1 — Diagnostic partagé d'un quartier",
        "Analyser une demande collective et construire un diagnostic avec les habitants.",
    ),
    (
        "Jeu de rôle — Réunion de concertation",
        "Animer une réunion entre habitants, bailleur et élus.",
    ),
)


def platform_signing_key(platform: DemoPlatform) -> tuple[str, bytes]:
    """(kid, private PEM) of the platform: tests sign tampered id_tokens with it."""
    return platform.kid, platform.private_key_pem.encode("ascii")


@transaction.atomic
def demo_platform_setup(*, base_url: str) -> DemoPlatform:
    """Create (once) the platform of ``base_url`` with its key, course, people and links."""
    base = base_url.rstrip("/")
    if urlsplit(base).scheme not in {"http", "https"} or not urlsplit(base).netloc:
        raise ValidationFailed(_("L'URL de base doit être absolue (http://hôte[:port])."))
    platform = DemoPlatform.objects.select_for_update().filter(base_url=base).first()
    if platform is None:
        kid, pem, jwk = rsa_key_generate()
        platform = DemoPlatform.objects.create(
            base_url=base,
            issuer=f"{base}/demo",
            name=_("Plateforme de démonstration Atelier"),
            kid=kid,
            private_key_pem=pem,
            public_jwk=jwk,
        )
    course = _course_setup(platform)
    _people_setup(platform, course)
    _activities_setup(course)
    return platform


def _course_setup(platform: DemoPlatform) -> DemoCourse:
    course, _created = DemoCourse.objects.get_or_create(
        platform=platform, label=COURSE_LABEL, defaults={"title": COURSE_TITLE}
    )
    if course.starts_at is None:
        course.starts_at = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0)
        course.ends_at = course.starts_at + timedelta(days=180)
        course.save(update_fields=["starts_at", "ends_at", "updated_at"])
    return course


def _people_setup(platform: DemoPlatform, course: DemoCourse) -> None:
    for username, given, family, locale, role, admin in DEMO_PEOPLE:
        user, _created = DemoUser.objects.get_or_create(
            platform=platform,
            username=username,
            defaults={
                "given_name": given,
                "family_name": family,
                "email": f"{username}@{EMAIL_DOMAIN}",
                "locale": locale,
                "is_site_admin": admin,
            },
        )
        DemoEnrolment.objects.get_or_create(course=course, user=user, defaults={"role": role})


def _activities_setup(course: DemoCourse) -> None:
    tool = course.links.filter(from_setup=True, tool__isnull=False).values_list("tool", flat=True)
    tool_id = next(iter(tool), None)
    for title, text in DEMO_ACTIVITIES:
        link, created = DemoResourceLink.objects.get_or_create(
            course=course,
            title=title,
            from_setup=True,
            defaults={"text": text, "tool_id": tool_id},
        )
        if created or not link.line_items.exists():
            # Moodle creates the activity's grade item with the activity (AGS claim
            # "lineitem"), named after the activity, maximum grade 20 here.
            DemoLineItem.objects.create(
                course=course,
                resource_link=link,
                tool_id=link.tool_id,
                label=title,
                score_maximum=DEMO_SCORE_MAXIMUM,
            )


def _setup_links_follow(tool: DemoTool) -> None:
    """The demo's own activities launch the newest active tool of their platform."""
    links = DemoResourceLink.objects.filter(course__platform=tool.platform, from_setup=True)
    links.update(tool=tool)
    DemoLineItem.objects.filter(resource_link__in=links).update(tool=tool)


@transaction.atomic
def demo_tool_attach(
    *,
    platform: DemoPlatform,
    tool_base_url: str,
    client_id: str | None = None,
    deployment_id: str | None = None,
) -> DemoTool:
    """Record the tool as an admin configuring it by hand would (active at once)."""
    base = tool_base_url.rstrip("/")
    tool = DemoTool.objects.create(
        platform=platform,
        name="Atelier",
        client_id=client_id or client_id_new(),
        deployment_id=deployment_id or "",
        initiate_login_uri=f"{base}/lti/login/",
        redirect_uris=[f"{base}/lti/launch/", f"{base}/lti/deep-link/"],
        jwks_uri=f"{base}/lti/jwks/",
        target_link_uri=f"{base}/lti/launch/",
        deep_link_url=f"{base}/lti/deep-link/",
        domain=urlsplit(base).netloc,
        scopes=[str(scope) for scope in SUPPORTED_SCOPES],
        status=DemoTool.Status.ACTIVE,
        source=DemoTool.Source.MANUAL,
    )
    if not tool.deployment_id:
        # Moodle's deployment id is the tool type id.
        tool.deployment_id = str(tool.pk)
        tool.save(update_fields=["deployment_id", "updated_at"])
    _setup_links_follow(tool)
    return tool


@transaction.atomic
def demo_tool_activate(*, tool: DemoTool) -> DemoTool:
    """The admin's "activate" in Manage tools; the demo activities then use this tool."""
    tool.status = DemoTool.Status.ACTIVE
    tool.save(update_fields=["status", "updated_at"])
    _setup_links_follow(tool)
    return tool


class _FormReader(HTMLParser):
    """Collects the inputs of one form, the way a browser would submit it."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.found = False
        self.inside = False
        self.action: str | None = None
        self.method = "get"
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("id") == self.form_id:
            self.found = self.inside = True
            self.action = values.get("action") or None
            self.method = values.get("method", "get").lower()
        elif self.inside and tag in {"input", "button"} and values.get("name"):
            if (
                values.get("type", "submit" if tag == "button" else "text")
                in {
                    "checkbox",
                    "radio",
                }
                and "checked" not in values
            ):
                return
            self.fields.append((values["name"], values.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def demo_register_with_tool(*, platform: DemoPlatform, tool_base_url: str) -> DemoTool:
    """Dynamic registration over real HTTP, as a Moodle admin pasting the tool URL does.

    Not atomic: the tool calls back this platform (openid configuration, registration
    endpoint) while we wait, so our own writes must be committed before.
    """
    token = registration_token_issue(platform)
    registration_url = f"{tool_base_url.rstrip('/')}/lti/register/?" + urlencode(
        {
            "openid_configuration": platform_url(platform, "openid_configuration"),
            "registration_token": token,
        }
    )
    browser = requests.Session()
    page = _http(browser, "get", registration_url)
    form = _FormReader("registration-confirm")
    form.feed(page.text)
    if not form.found:
        raise UpstreamUnavailable(
            _(
                "La page d'enregistrement de l'outil n'a pas de formulaire « registration-confirm » : %(body)s"
            )
            % {"body": page.text[:300]}
        )
    target = urljoin(page.url, form.action) if form.action else page.url
    done = _http(browser, "post", target, data=form.fields, headers={"Referer": page.url})
    if REGISTRATION_CLOSE_SUBJECT not in done.text:
        raise UpstreamUnavailable(
            _("L'outil n'a pas terminé l'enregistrement : %(body)s") % {"body": done.text[:300]}
        )
    jti = str(jwt_unverified_claims(token)["jti"])
    client_id = DemoRegistrationToken.objects.get(jti=jti).client_id
    tool = DemoTool.objects.filter(platform=platform, client_id=client_id).first()
    if tool is None:
        raise UpstreamUnavailable(
            _("L'outil dit avoir terminé mais ne s'est jamais enregistré auprès de la plateforme.")
        )
    return demo_tool_activate(tool=tool)


def _http(session: requests.Session, method: str, url: str, **kwargs: object) -> requests.Response:
    try:
        response = session.request(method, url, timeout=HTTP_TIMEOUT_SECONDS * 3, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as error:
        raise UpstreamUnavailable(
            _("L'outil est injoignable (%(url)s) : %(error)s") % {"url": url, "error": error}
        ) from error
    if response.status_code != 200:
        raise UpstreamUnavailable(
            _("L'outil a répondu %(status)s à %(url)s : %(body)s")
            % {"status": response.status_code, "url": url, "body": response.text[:300]}
        )
    return response
