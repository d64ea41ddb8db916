"""Shared by the DSL tests: the shipped briefs published, a demo activity bound to
« Quartier des Peupliers » by Moodle's custom parameter, with its grade column, and real
launches through the built-in platform (tests.grading.factories.launch).

Demo people (lti_tool/demo/services.py): trainer claire.martin; students lea.bernard,
hugo.petit, ines.moreau, lucas.fontaine, chloe.lambert.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from lti_tool.activities.dsl.content import DslBrief
from lti_tool.activities.dsl.models import Canvas
from lti_tool.activities.dsl.selectors import brief_of, dsl_placement_get
from lti_tool.activities.services import activities_load, dsl_files
from lti_tool.demo.models import DemoLineItem, DemoResourceLink
from lti_tool.demo.services import DEMO_SCORE_MAXIMUM
from tests.grading.factories import Launched, launch

SLUG = "dsl-quartier-des-peupliers"
TITLE = "Projet DSL — Quartier des Peupliers"


def dsl_link(demo: Any) -> DemoResourceLink:
    """The demo course's DSL activity, placed with ``activity=dsl-quartier-des-peupliers``
    (as a deep linking response or a teacher's custom parameter would)."""
    course = demo.link(0).course
    link, created = DemoResourceLink.objects.get_or_create(
        course=course,
        title=TITLE,
        defaults={"tool": demo.tool, "custom": {"activity": SLUG}, "from_setup": True},
    )
    if created:
        DemoLineItem.objects.create(
            course=course, resource_link=link, tool=demo.tool, label=TITLE,
            score_maximum=DEMO_SCORE_MAXIMUM,
        )  # fmt: skip
    return link


@pytest.fixture
def dsl(demo: Any) -> Any:
    """The demo platform with the DSL activity (transactional tests flush migration data:
    the shipped briefs are published again)."""
    activities_load(paths=dsl_files())
    dsl_link(demo)
    return demo


def launch_dsl(demo: Any, who: str) -> Launched:
    return launch(demo, who, link=dsl_link(demo))


def url(launched: Launched, name: str, *args: Any) -> str:
    return reverse(f"dsl:{name}", args=[launched.resource_link.pk, *args])


def brief_for(launched: Launched) -> DslBrief:
    return brief_of(dsl_placement_get(resource_link_pk=launched.resource_link.pk))


def canvas_of(launched: Launched) -> Canvas:
    return Canvas.objects.get(members__lti_user=launched.lti_user)


def complete_fields() -> dict[str, Any]:
    """A canvas that may be submitted (the service's values: field id → raw value)."""
    return {
        "portrait": "Un quartier coupé du centre par la voie ferrée, des habitant·es attaché·es.",
        "carte-acteurs": [
            {"actor": "CAF", "role": "Financeur", "interest": "4", "power": "4",
             "engagement": "moteur"},
            {"actor": "Amicale des locataires", "role": "Relais", "interest": "4",
             "power": "1", "engagement": "favorable"},
        ],
        "echelon": {"rung": "partenariat", "justification": "Les habitant·es co-décident."},
        "phasage": [
            {"start": "1", "end": "1", "action": "Diagnostic partagé", "who": "CAF"},
            {"start": "2", "end": "3", "action": "Ateliers budget", "who": "Habitant·es"},
        ],
        "note-elus": "Contexte\n\nLe quartier des Peupliers compte 4 200 habitants.",
        "affiche-habitants": "Venez construire le projet du quartier avec nous !",
    }  # fmt: skip
