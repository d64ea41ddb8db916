"""Shared by the DPA tests: the shipped cases published, a third demo activity bound to
« Mme Inès Morel » by Moodle's custom parameter, and real launches through the built-in
platform (tests.grading.factories.launch).

Demo people (lti_tool/demo/services.py): trainer claire.martin; students lea.bernard,
hugo.petit, ines.moreau, lucas.fontaine, chloe.lambert (English locale).
"""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.activities.dpa.case import DpaCase
from lti_tool.activities.dpa.models import DpaSubmission
from lti_tool.activities.services import activities_load, dpa_files
from lti_tool.demo.models import DemoLineItem, DemoResourceLink
from lti_tool.demo.services import DEMO_SCORE_MAXIMUM
from tests.grading.factories import Launched, launch

SLUG = "dpa-mme-morel"
TITLE = "Étude de cas — Mme Inès Morel"


def dpa_link(demo: Any) -> DemoResourceLink:
    """The demo course's DPA activity, placed with ``activity=dpa-mme-morel`` (as a deep
    linking response or a teacher's custom parameter would), with its grade column."""
    course = demo.link(0).course
    link, created = DemoResourceLink.objects.get_or_create(
        course=course,
        title=TITLE,
        defaults={"tool": demo.tool, "custom": {"activity": SLUG}, "from_setup": True},
    )
    if created:
        DemoLineItem.objects.create(
            course=course,
            resource_link=link,
            tool=demo.tool,
            label=TITLE,
            score_maximum=DEMO_SCORE_MAXIMUM,
        )
    return link


@pytest.fixture
def dpa(demo: Any) -> Any:
    """The demo platform with the DPA activity (transactional tests flush migration data:
    the shipped cases are published again)."""
    activities_load(paths=dpa_files())
    dpa_link(demo)
    return demo


def launch_dpa(demo: Any, who: str) -> Launched:
    return launch(demo, who, link=dpa_link(demo))


def case_path(launched: Launched, name: str = "case", *args: int) -> str:
    from django.urls import reverse

    return reverse(f"dpa:{name}", args=[launched.resource_link.pk, *args])


def full_answers(case: DpaCase, *, tags: list[str] | None = None) -> dict[str, Any]:
    """A complete analysis as the form posts it (within every word limit)."""
    data: dict[str, Any] = {
        "tags": tags if tags is not None else list(case.key),
        "critique": "Le plan répond au manque d'argent sans partir de ce qui compte pour elle.",
        "self_critique": "Je risque de remplacer un plan imposé par un autre plan imposé.",
    }
    for field in case.improve:
        data[f"improve-{field.id}"] = f"Proposition pour « {field.label} », négociée avec elle."
    return data


def submission_of(launched: Launched) -> DpaSubmission:
    return DpaSubmission.objects.get(lti_user=launched.lti_user)
