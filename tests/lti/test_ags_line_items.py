"""line_item_ensure: one line item per (resource link, domain), adopted from the launch,
found by filter, or created once (design.md §4), against the built-in platform."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lti_tool.demo.faults import demo_fault_set
from lti_tool.demo.models import DemoLineItem
from lti_tool.lti.ags import AgsNotAvailable, AgsTransientError
from lti_tool.lti.ags.line_items import line_item_ensure
from lti_tool.lti.models import LineItem
from tests.lti.ags_fixtures import (
    AGS_TEST_MARKS,
    Launched,
    launch,
)

pytestmark = AGS_TEST_MARKS


def _ensure(launched: Launched, domain: str, *, is_primary: bool = False) -> LineItem:
    return line_item_ensure(
        resource_link=launched.resource_link,
        domain_code=domain,
        label=f"Diagnostic — {domain} Titre",
        tag=domain,
        resource_id=f"diagnostic:{domain}",
        is_primary=is_primary,
    )


def test_the_first_domain_adopts_the_activity_own_column(demo: Any, launched: Launched):
    before = DemoLineItem.objects.count()
    item = _ensure(launched, "DC1", is_primary=True)
    assert item.url == launched.resource_link.ags_lineitem_url
    assert not item.created_by_tool
    assert item.label == launched.demo_item.label  # the platform's name is kept
    assert item.score_maximum == 20
    assert DemoLineItem.objects.count() == before


def test_another_domain_gets_a_new_column_with_tag_resource_id_and_link(
    demo: Any, launched: Launched
):
    item = _ensure(launched, "DC3")
    row = DemoLineItem.objects.get(tag="DC3")
    assert item.created_by_tool
    assert row.created_by_tool
    assert row.label == "Diagnostic — DC3 Titre"
    assert row.resource_id == "diagnostic:DC3"
    assert row.score_maximum == Decimal(20)
    assert str(row.resource_link_id) == launched.resource_link.resource_link_id
    assert item.url.endswith(f"/lineitems/{row.pk}/lineitem?type_id={demo.tool.pk}")
    assert (item.tag, item.resource_id, item.domain_code) == ("DC3", "diagnostic:DC3", "DC3")


def test_ensuring_twice_returns_the_stored_item_without_calling_the_platform(
    demo: Any, launched: Launched
):
    first = _ensure(launched, "DC2")
    demo_fault_set(platform=demo.platform, kind="ags_error", count=5, status=500)
    assert _ensure(launched, "DC2") == first
    assert DemoLineItem.objects.filter(tag="DC2").count() == 1


def test_a_retry_after_a_crash_finds_the_platform_item_instead_of_duplicating_it(
    demo: Any, launched: Launched
):
    created = _ensure(launched, "DC2")
    # The worker died after the platform created the column, before our row was kept.
    LineItem.objects.filter(pk=created.pk).delete()
    again = _ensure(launched, "DC2")
    assert again.url == created.url
    assert DemoLineItem.objects.filter(tag="DC2").count() == 1


def test_an_item_of_another_activity_with_the_same_tag_is_not_taken(demo: Any):
    first = launch(demo, link_index=0)
    second = launch(demo, link_index=1)
    a = _ensure(first, "DC2")
    b = _ensure(second, "DC2")
    assert a.url != b.url
    assert DemoLineItem.objects.filter(tag="DC2").count() == 2


def test_a_platform_outage_while_creating_is_transient_and_leaves_nothing_stored(
    demo: Any, launched: Launched
):
    demo_fault_set(platform=demo.platform, kind="ags_error", count=1, status=503)
    with pytest.raises(AgsTransientError) as caught:
        _ensure(launched, "DC4")
    assert caught.value.status_code == 503
    assert not LineItem.objects.filter(domain_code="DC4").exists()
    assert _ensure(launched, "DC4").tag == "DC4"


def test_without_ags_endpoints_the_trainer_is_told_to_enable_the_service(
    demo: Any, launched: Launched
):
    link = launched.resource_link
    link.ags_lineitems_url = ""
    link.save()
    with pytest.raises(AgsNotAvailable) as caught:
        _ensure(launched, "DC2")
    assert "AGS" in caught.value.message
    assert not caught.value.retryable
