"""The catalogue's selectors, and the binding of a link a teacher added by hand (no deep
linking): the trainer chooses its activity, a student meanwhile sees « pas encore
configurée », and the options reach the Placement."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone

from lti_tool.activities.catalogue import CatalogueQuery, catalogue_entries, catalogue_filters
from lti_tool.activities.models import ActivityVersion, Attempt, Placement
from lti_tool.activities.placements import placement_options_from_custom
from lti_tool.core.exceptions import ValidationFailed
from lti_tool.demo import services as demo_services
from lti_tool.demo.models import DemoResourceLink
from lti_tool.lti.models import LtiUser, ResourceLink
from tests.activities.catalogue_fixtures import PARENTS, QUARTIER, REUNION, catalogue_published
from tests.grading.factories import other_course
from tests.lti.flow import login_and_authorize, parse_form, post_launch

# --- selectors --------------------------------------------------------------------------


@pytest.fixture
def published(db: None) -> dict[str, ActivityVersion]:
    return catalogue_published()


def _slugs(query: CatalogueQuery) -> set[str]:
    ours = {QUARTIER, REUNION, PARENTS}
    return {e.version.activity.slug for e in catalogue_entries(query=query)} & ours


def test_the_search_ignores_case_and_accents_in_titles_and_summaries(
    published: dict[str, ActivityVersion],
) -> None:
    assert _slugs(CatalogueQuery(text="elan PAROLE")) == {PARENTS}
    assert _slugs(CatalogueQuery(text="périmètre")) == {REUNION}  # in the summary only
    assert _slugs(CatalogueQuery(text="perimetre institution")) == {REUNION}
    assert _slugs(CatalogueQuery(text="introuvable")) == set()


def test_filters_by_training_unit_domain_and_kind(published: dict[str, ActivityVersion]) -> None:
    assert _slugs(CatalogueQuery(training_unit="Le travail en réseau")) == {REUNION}
    assert _slugs(CatalogueQuery(domain="DC2")) == {QUARTIER, PARENTS}
    assert _slugs(CatalogueQuery(domain="DC1", kind="scenario")) == {QUARTIER}
    assert _slugs(CatalogueQuery(kind="roleplay")) == set()


def test_only_the_latest_version_is_offered_with_domain_titles_and_size(
    published: dict[str, ActivityVersion],
) -> None:
    (entry,) = [e for e in catalogue_entries() if e.version.activity.slug == QUARTIER]
    assert entry.version.version == 2 and entry.reference == f"{QUARTIER}@2"
    assert [d.code for d in entry.domains] == ["DC1", "DC2"]
    assert entry.domains[1].label == "DC2 Intervention sociale"
    assert (entry.decisions, entry.endings) == (1, 2)
    filters = catalogue_filters(entries=catalogue_entries())
    assert {"DC1", "DC2", "DC3", "DC4"} <= {d.code for d in filters.domains}
    assert "Le diagnostic de territoire" in filters.training_units


def test_content_without_nodes_has_no_size_instead_of_an_error(
    published: dict[str, ActivityVersion],
) -> None:
    version = published[PARENTS]
    ActivityVersion.objects.filter(pk=version.pk).update(content={"sections": "autre type"})
    (entry,) = [e for e in catalogue_entries() if e.pk == version.pk]
    assert (entry.decisions, entry.endings) == (None, None)


def test_placement_options_are_read_back_from_custom_parameters() -> None:
    options = placement_options_from_custom(
        {"attempts": "3", "counting": "last", "due": "2030-06-01T18:00:00+02:00"}
    )
    assert options.attempts_allowed == 3 and options.counting == "last"
    assert options.due_at is not None and options.due_at.isoformat() == "2030-06-01T18:00:00+02:00"
    assert placement_options_from_custom({}).attempts_allowed == 0
    for bad in ({"attempts": "x"}, {"counting": "average"}, {"due": "2030-13-45T00:00"}):
        with pytest.raises(ValidationFailed):
            placement_options_from_custom(bad)


# --- binding a link a teacher added by hand -----------------------------------------------


def _launch(
    demo: Any, who: str, link: DemoResourceLink | None = None
) -> tuple[requests.Session, str, str]:
    session = requests.Session()
    user = demo.user(who)
    url, fields = demo_services.login_initiation(
        platform=demo.platform, user=user, resource_link=link or demo.link(0)
    )
    response = post_launch(session, login_and_authorize(session, url, fields))
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["Location"]
    return session, location, parse_qs(urlsplit(location).query)["launch"][0]


@pytest.fixture
def live_published(demo: Any) -> dict[str, ActivityVersion]:
    return catalogue_published()


def _bind(
    demo: Any, session: requests.Session, location: str, version: ActivityVersion, **options: str
) -> requests.Response:
    page = session.get(demo.absolute(location), timeout=10)
    assert page.status_code == 200, page.text[:2000]
    action, fields = parse_form(page.text, "catalogue-form")
    data = {
        "launch": fields["launch"],
        "launch_csrf": fields["launch_csrf"],
        "choose": str(version.pk),
        **{f"{name}-{version.pk}": value for name, value in options.items()},
    }
    return session.post(demo.absolute(action), data=data, allow_redirects=False, timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_trainer_launching_an_unbound_link_chooses_its_activity_then_lands_on_the_course_page(
    demo: Any, live_published: dict[str, ActivityVersion]
) -> None:
    session, location, launch_id = _launch(demo, "trainer")
    link = ResourceLink.objects.get()
    assert location == f"/activite/{link.pk}/choisir/?launch={launch_id}"
    page = session.get(demo.absolute(location), timeout=10)
    assert 'type="radio" name="choose"' in page.text
    assert "Choisir l'activité de" in html.unescape(page.text)

    due = (timezone.localtime() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = _bind(
        demo,
        session,
        location,
        live_published[REUNION],
        attempts="1",
        counting="best",
        due=due.strftime("%Y-%m-%dT%H:%M"),
    )
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["Location"] == f"/cours/{link.context_id}/?launch={launch_id}"
    placement = Placement.objects.get(resource_link=link)
    assert placement.activity_version == live_published[REUNION]
    assert (placement.attempts_allowed, placement.counting, placement.due_at) == (1, "best", due)
    assert placement.bound_by == LtiUser.objects.get(sub=str(demo.user("trainer").pk))

    # Once bound, the trainer's next launch goes straight to the course page.
    _session, again, _id = _launch(demo, "trainer")
    assert again.startswith(f"/cours/{link.context_id}/")


@pytest.mark.django_db(transaction=True)
def test_a_student_on_an_unbound_link_sees_the_not_configured_page(
    demo: Any, live_published: dict[str, ActivityVersion]
) -> None:
    session, location, _launch_id = _launch(demo, "student")
    assert location.startswith("/activite/") and "/choisir/" not in location
    page = session.get(demo.absolute(location), timeout=10)
    assert page.status_code == 200
    assert "pas encore configurée" in html.unescape(page.text)
    link = ResourceLink.objects.get()
    student_bind = session.get(
        demo.absolute(f"/activite/{link.pk}/choisir/?launch={_launch_id}"), timeout=10
    )
    assert student_bind.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_trainer_of_another_course_cannot_bind_this_course_link(
    demo: Any, live_published: dict[str, ActivityVersion]
) -> None:
    _session, _location, _id = _launch(demo, "student")  # creates this course's link
    link = ResourceLink.objects.get()
    session, _other_location, other_launch = _launch(demo, "paul.garnier", other_course(demo))
    page = session.get(
        demo.absolute(f"/activite/{link.pk}/choisir/?launch={other_launch}"), timeout=10
    )
    assert page.status_code == 403
    assert (
        requests.get(demo.absolute(f"/activite/{link.pk}/choisir/"), timeout=10).status_code == 401
    )
    assert not Placement.objects.filter(resource_link=link).exists()


@pytest.mark.django_db(transaction=True)
def test_rebinding_a_link_with_attempts_to_another_activity_is_a_400(
    demo: Any, live_published: dict[str, ActivityVersion]
) -> None:
    session, location, _id = _launch(demo, "trainer")
    assert _bind(demo, session, location, live_published[REUNION]).status_code == 303
    placement = Placement.objects.get()
    student = LtiUser.objects.create(
        registration=demo.registration,
        sub="attempt-holder",
        user=get_user_model().objects.create_user(username="attempt-holder"),
    )
    Attempt.objects.create(
        placement=placement, lti_user=student, activity_version=placement.activity_version, number=1
    )
    refused = _bind(demo, session, location, live_published[PARENTS])
    assert refused.status_code == 400
    assert "ne peut plus être" in html.unescape(refused.text)
    assert Placement.objects.get().activity_version == live_published[REUNION]


@pytest.mark.django_db(transaction=True)
def test_a_deep_linked_link_is_bound_at_first_launch_with_its_options(
    demo: Any, live_published: dict[str, ActivityVersion]
) -> None:
    link = demo.link(0)
    link.custom = {"activity": f"{QUARTIER}@2", "attempts": "2", "counting": "last"}
    link.save()
    session, location, _id = _launch(demo, "trainer")
    assert location.startswith("/cours/")
    assert session.get(demo.absolute(location), timeout=10).status_code == 200
    placement = Placement.objects.get()
    assert placement.activity_version == live_published[QUARTIER]
    assert (placement.attempts_allowed, placement.counting) == (2, "last")
