"""A trainer moderates inside the platform's iframe, with the keyboard, in Debian's chromium;
then the student reads the validated result. Screenshots go to test-artifacts/."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from lti_tool.grading.models import DomainResult, Passback, ResultChange
from lti_tool.grading.rules import ResultStatus
from tests.e2e.chromium import ARTIFACTS
from tests.grading.factories import assessment_graded, launch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


sync_api = pytest.importorskip("playwright.sync_api")


def _launch_in_frame(page: Any, demo: Any, username: str, page_name: str, *args: int) -> Any:
    """Launch from the platform's course page, then open one of the tool's pages inside the
    same iframe with the launch id (where the launch lands first is another page's concern)."""
    page.goto(f"{demo.base_url}/demo/")
    page.locator(f"[data-testid='launch-{username}-{demo.link(0).pk}']").click()
    tool_frame = None
    for _ in range(150):  # the launch redirects inside the frame: wait for its landing
        tool_frame = next((f for f in page.frames if "launch=" in f.url), None)
        if tool_frame is not None:
            break
        page.wait_for_timeout(100)
    assert tool_frame is not None, [f.url for f in page.frames]
    launch_id = parse_qs(urlsplit(tool_frame.url).query)["launch"][0]
    path = reverse(page_name, args=args)
    tool_frame.goto(f"{demo.base_url}{path}?launch={launch_id}")
    return page.frame_locator("[data-testid=tool-frame]")


def test_a_trainer_validates_a_result_in_the_iframe_and_the_student_reads_it(
    page: Any, demo: Any
) -> None:
    expect = sync_api.expect
    lea = launch(demo, "student")
    _a, results = assessment_graded(student=lea, levels={"DC2.A3.1": 2, "DC2.A3.2": 3})
    dc2 = results["DC2"]

    tool = _launch_in_frame(page, demo, "claire.martin", "activities:course_home", lea.context.pk)
    tool.get_by_test_id("moderation-link").click()
    row = tool.locator(f"[data-testid=queue-row][data-result='{dc2.pk}']")
    expect(row).to_contain_text("Léa Bernard")
    row.get_by_role("link").click()

    # Keyboard only: the radio group of the first criterion, then the comment.
    tool.locator("input[name='niveau_DC2.A3.1'][value='4']").focus()
    page.keyboard.press("Space")
    expect(tool.locator("input[name='niveau_DC2.A3.1'][value='4']")).to_be_checked()
    tool.get_by_label("Commentaire pour l'historique").fill("Cadre très clair en séance.")
    tool.get_by_label("Retour pour l'étudiant·e").fill("Le cadre est posé : continuez ainsi.")
    page.screenshot(path=str(ARTIFACTS / "grading-moderation-form.png"), full_page=True)
    tool.get_by_test_id("validate").focus()
    page.keyboard.press("Enter")

    expect(tool.get_by_test_id("moderation-done")).to_contain_text("17,5/20")
    page.screenshot(path=str(ARTIFACTS / "grading-moderation-done.png"), full_page=True)
    dc2 = DomainResult.objects.get(pk=dc2.pk)
    assert dc2.status == ResultStatus.FINAL and dc2.score_20 == Decimal("17.50")
    assert ResultChange.objects.filter(result=dc2, action=ResultChange.Action.OVERRIDDEN).exists()
    assert Passback.objects.filter(result=dc2, status=Passback.Status.PENDING).count() == 1

    tool = _launch_in_frame(
        page, demo, "lea.bernard", "activities:resource_link", lea.resource_link.pk
    )
    tool.get_by_test_id("my-results-link").click()
    expect(tool.locator("[data-domain=DC2] [data-testid=score]")).to_have_text("17,5/20")
    expect(tool.locator("[data-domain=DC2]")).to_contain_text("Le cadre est posé")
    page.screenshot(path=str(ARTIFACTS / "grading-student-results.png"), full_page=True)
