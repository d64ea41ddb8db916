"""Shared by the role-play tests: the shipped briefs published, the demo's second activity
bound to « Premiers pas dans mon logement » by Moodle's custom parameter, and real launches
through the built-in platform (tests.grading.factories.launch).

Demo people (lti_tool/demo/services.py): trainer claire.martin; students lea.bernard,
hugo.petit, ines.moreau, lucas.fontaine, chloe.lambert (English locale).
"""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.activities.models import Placement
from lti_tool.activities.roleplays.access import roleplay_placement_get
from lti_tool.activities.services import activities_load, roleplay_files
from lti_tool.lti.models import ResourceLink
from tests.grading.factories import Launched, launch

SLUG = "premiers-pas-logement"
LINK_INDEX = 1
STUDENTS = ("lea.bernard", "hugo.petit", "ines.moreau", "lucas.fontaine", "chloe.lambert")


@pytest.fixture
def roleplay(demo: Any) -> Any:
    """The shipped role-play briefs published (a transactional test flushes what the
    migration published), the demo's second activity carrying
    ``activity=premiers-pas-logement``."""
    activities_load(paths=roleplay_files())
    link = demo.link(LINK_INDEX)
    link.custom = {"activity": SLUG}
    link.save()
    return demo


def launch_roleplay(demo: Any, who: str) -> Launched:
    """A real launch of ``who`` (a demo username or "trainer"/"student") on the role-play."""
    return launch(demo, who, link=demo.link(LINK_INDEX))


def placement_of(launched: Launched) -> Placement:
    """The placement, bound by the first launch on the link (trainer or student)."""
    link: ResourceLink = launched.resource_link
    return roleplay_placement_get(resource_link_pk=link.pk)
