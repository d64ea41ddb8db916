"""Test data for the grading screens, made the way production makes it: people, courses and
activities come from real launches through the built-in platform; assessments and results
come from the grading services (never raw rows where a service exists)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from lti_tool.demo import services as demo_services
from lti_tool.demo.models import DemoCourse, DemoEnrolment, DemoResourceLink, DemoUser
from lti_tool.grading import services
from lti_tool.grading.models import Assessment, DomainResult
from lti_tool.grading.rules import ActivityKind, Criterion, level_evidence
from lti_tool.lti.constants import Claim
from lti_tool.lti.models import Context, LtiUser, ResourceLink
from tests.lti.flow import login_and_authorize, parse_form, post_launch

DOMAIN_TITLES = {
    "DC2": "Intervention sociale",
    "DC3": "Communication professionnelle",
    "DC4": "Dynamiques interinstitutionnelles, partenariats et réseaux",
}

# A role-play grid: two DC2 indicators, one DC3 indicator, one DC4 indicator that the
# session may leave unobserved (N/E).
ROLEPLAY_CRITERIA = (
    Criterion("DC2.A3.1", "DC2", Decimal(1), ("C2.A3",), "Pose le cadre de la réunion"),
    Criterion("DC2.A3.2", "DC2", Decimal(1), ("C2.A3",), "Fait circuler la parole"),
    Criterion("DC3.3.1", "DC3", Decimal(1), ("C3.3",), "Transmet une information claire"),
    Criterion("DC4.8.1", "DC4", Decimal(1), ("C4.8",), "Négocie entre les partenaires"),
)


@dataclass
class Launched:
    """A person inside the tool after a real launch: their session and launch id."""

    session: requests.Session
    base_url: str
    launch_id: str
    landing_path: str
    lti_user: LtiUser
    context: Context
    resource_link: ResourceLink

    def url(self, path: str) -> str:
        return path if "://" in path else self.base_url + path

    def get(self, path: str, *, with_launch: bool = True) -> requests.Response:
        params = {"launch": self.launch_id} if with_launch else {}
        return self.session.get(self.url(path), params=params, allow_redirects=False, timeout=10)

    def form_tokens(self, page_path: str, form_id: str | None = None) -> dict[str, str]:
        """The hidden launch fields of a form, read from the page as a browser would."""
        page = self.get(page_path)
        assert page.status_code == 200, page.text[:2000]
        _action, fields = parse_form(page.text, form_id)
        return {k: fields[k] for k in ("launch", "launch_csrf")}

    def post(
        self, path: str, data: Mapping[str, Any], *, tokens: Mapping[str, str] | None = None
    ) -> requests.Response:
        return self.session.post(
            self.url(path), data={**(tokens or {}), **data}, allow_redirects=False, timeout=10
        )


def launch(demo: Any, who: str, *, link: DemoResourceLink | None = None) -> Launched:
    """Launch ``who`` (a DEMO_USERS key or a demo username) on a demo activity."""
    session = requests.Session()
    user = demo.user(who)
    url, fields = demo_services.login_initiation(
        platform=demo.platform, user=user, resource_link=link or demo.link(0)
    )
    auth = login_and_authorize(session, url, fields)
    response = post_launch(session, auth)
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["Location"]
    launch_id = parse_qs(urlsplit(location).query)["launch"][0]
    claims = auth.claims
    lti_user = LtiUser.objects.get(registration=demo.registration, sub=claims["sub"])
    resource_link = ResourceLink.objects.get(
        resource_link_id=claims[Claim.RESOURCE_LINK]["id"],
        context__context_id=claims[Claim.CONTEXT]["id"],
    )
    return Launched(
        session=session,
        base_url=demo.base_url,
        launch_id=launch_id,
        landing_path=urlsplit(location).path,
        lti_user=lti_user,
        context=resource_link.context,
        resource_link=resource_link,
    )


def other_course(demo: Any) -> DemoResourceLink:
    """A second course on the same platform, with its own trainer and student."""
    course, _ = DemoCourse.objects.get_or_create(
        platform=demo.platform, label="AUTRE-COURS", defaults={"title": "Autre promotion"}
    )
    for username, given, role in (
        ("paul.garnier", "Paul", DemoEnrolment.Role.INSTRUCTOR),
        ("emma.roux", "Emma", DemoEnrolment.Role.LEARNER),
    ):
        user, _ = DemoUser.objects.get_or_create(
            platform=demo.platform,
            username=username,
            defaults={
                "given_name": given,
                "family_name": username.split(".")[1].title(),
                "email": f"{username}@demo.atelier.test",
            },
        )
        DemoEnrolment.objects.get_or_create(course=course, user=user, defaults={"role": role})
    link, _ = DemoResourceLink.objects.get_or_create(
        course=course, title="Jeu de rôle — autre promotion", defaults={"tool": demo.tool}
    )
    return link


def assessment_graded(
    *,
    student: Launched,
    levels: Mapping[str, int],
    kind: ActivityKind = ActivityKind.ROLEPLAY,
    criteria: tuple[Criterion, ...] = ROLEPLAY_CRITERIA,
    flagged: frozenset[str] = frozenset(),
    complete: bool = True,
    title: str = "Jeu de rôle — Réunion de concertation",
) -> tuple[Assessment, dict[str, DomainResult]]:
    """An assessment of ``student`` on their launch's activity, graded with rubric levels
    through the services; returns its results by domain code."""
    assessment = services.assessment_create(
        resource_link=student.resource_link,
        lti_user=student.lti_user,
        activity_kind=kind,
        activity_title=title,
        activity_ref=f"test-{kind}",
        framework_code="DECESF-2018",
        framework_version=1,
        criteria=criteria,
    )
    evidence = []
    for code, level in levels.items():
        piece = level_evidence(code, level, source="auto")
        if code in flagged:
            piece = replace(piece, ethics_flag=True)
        evidence.append(piece)
    results = services.assessment_grade(
        assessment=assessment, evidence=evidence, complete=complete, domain_titles=DOMAIN_TITLES
    )
    return assessment, {r.domain_code: r for r in results}


def result_finalised(
    *, result: DomainResult, trainer: Launched, feedback: str = "", comment: str = ""
) -> DomainResult:
    """A trainer confirms a result through the moderation service."""
    return services.result_moderate(
        result=result, actor=trainer.lti_user, feedback=feedback, comment=comment
    )


def text_of(response: requests.Response) -> str:
    return html.unescape(response.text)
