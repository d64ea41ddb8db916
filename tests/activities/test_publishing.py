"""Publishing scenarios: shipped on migrate, idempotent, immutable, staff-only upload."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from lti_tool.activities.models import Activity, ActivityVersion
from lti_tool.activities.scenarios.content import ContentInvalid
from lti_tool.activities.services import activities_load, scenario_files
from tests.activities.test_scenario_content import BASE

pytestmark = pytest.mark.django_db

SHIPPED_SLUGS = {
    "premier-groupe-parents",
    "conflit-amicale-locataires",
    "groupe-aines-silencieux",
    "coanimation-prise-de-parole",
}
URL = "/staff/activites/"


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = get_user_model().objects.create_user(
        username="admin.centre", password="x", is_staff=True
    )
    client.force_login(user)
    return client


def write(tmp_path: Path, text: str, name: str = "essai.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_scenarios_are_published_by_the_migration() -> None:
    versions = ActivityVersion.objects.filter(activity__slug__in=SHIPPED_SLUGS, version=1)
    assert {v.activity.slug for v in versions} == SHIPPED_SLUGS
    parents = versions.get(activity__slug="premier-groupe-parents")
    assert parents.framework_code == "DECESF-2018" and parents.framework_version == 1
    assert parents.domains[0] == "DC2" and len(parents.domains) >= 2
    assert parents.content["slug"] == "premier-groupe-parents"


def test_loading_the_shipped_files_again_creates_no_version() -> None:
    before = ActivityVersion.objects.count()
    versions = activities_load()
    assert len(versions) == len(scenario_files())
    assert ActivityVersion.objects.count() == before
    assert {v.version for v in versions} == {1}


def test_the_same_file_twice_is_one_version_and_a_changed_file_is_version_two(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, BASE)
    (first,) = activities_load(paths=[path])
    (again,) = activities_load(paths=[path])
    assert again.pk == first.pk and first.version == 1
    assert ActivityVersion.objects.filter(activity__slug="essai").count() == 1
    write(tmp_path, BASE.replace('title: "Essai"', 'title: "Essai révisé"'))
    (second,) = activities_load(paths=[path])
    assert second.version == 2 and second.title == "Essai révisé"
    first.refresh_from_db()
    assert first.version == 1 and first.title == "Essai" and first.content["title"] == "Essai"
    assert first.checksum != second.checksum
    assert Activity.objects.get(slug="essai").title == "Essai révisé"
    assert first.domains == ["DC2", "DC4"]


def test_an_invalid_file_publishes_nothing_and_names_the_file_and_line(tmp_path: Path) -> None:
    good = write(tmp_path, BASE, "bon.yaml")
    bad = write(
        tmp_path,
        BASE.replace("slug: essai", "slug: autre").replace("next: d1", "next: d9"),
        "mauvais.yaml",
    )
    with pytest.raises(ContentInvalid) as caught:
        activities_load(paths=[good, bad])
    problems = caught.value.problems
    assert all(p.path.startswith("mauvais.yaml") for p in problems)
    assert any(p.line == 19 and "« d9 »" in p.message for p in problems)
    assert not Activity.objects.filter(slug__in=["essai", "autre"]).exists()


def test_a_criterion_outside_the_loaded_framework_is_refused_at_publication(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("competences: [DC2.3]", "competences: [DC2.Z9]"))
    with pytest.raises(ContentInvalid, match=r"DC2\.Z9 n'existe pas dans le référentiel"):
        activities_load(paths=[path])


def test_the_command_prints_each_published_version(tmp_path: Path) -> None:
    out = StringIO()
    call_command("activities_load", "--path", str(write(tmp_path, BASE)), stdout=out)
    assert "essai v1" in out.getvalue() and "DC2, DC4" in out.getvalue()


def test_anonymous_and_non_staff_users_are_sent_to_the_login_page(client: Client) -> None:
    assert client.get(URL)["Location"].startswith(reverse("admin:login"))
    user = get_user_model().objects.create_user(username="lea.bernard", password="x")
    client.force_login(user)
    response = client.post(URL, {"file": SimpleUploadedFile("essai.yaml", BASE.encode())})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not Activity.objects.filter(slug="essai").exists()


def test_staff_see_the_published_activities_and_versions(staff_client: Client) -> None:
    response = staff_client.get(reverse("activities:staff_activities"))
    assert response.status_code == 200
    page = response.content.decode()
    for slug in SHIPPED_SLUGS:
        assert slug in page


def test_a_bad_upload_shows_every_problem_with_its_line(staff_client: Client) -> None:
    text = BASE.replace("scores: {GD-LEC: 3}", "scores: {GD-LEC: 5}").replace(
        "next: d1", "next: d9"
    )
    response = staff_client.post(URL, {"file": SimpleUploadedFile("essai.yaml", text.encode())})
    assert response.status_code == 400
    page = response.content.decode()
    assert "n&#x27;a pas été publié" in page or "n'a pas été publié" in page
    assert "Ligne 19" in page and "d9" in page
    assert "Ligne 28" in page and "entre 0 et 3" in page
    assert not Activity.objects.filter(slug="essai").exists()


def test_a_good_upload_is_published_then_recognised_as_already_published(
    staff_client: Client,
) -> None:
    upload = lambda: SimpleUploadedFile("essai.yaml", BASE.encode())  # noqa: E731
    response = staff_client.post(URL, {"file": upload()})
    assert response.status_code == 200
    assert "Publié : essai, version 1" in response.content.decode()
    response = staff_client.post(URL, {"file": upload()})
    assert "Déjà publié : essai, version 1" in response.content.decode()
    assert ActivityVersion.objects.filter(activity__slug="essai").count() == 1


def test_an_upload_that_is_not_utf8_is_refused_with_a_message(staff_client: Client) -> None:
    response = staff_client.post(
        URL, {"file": SimpleUploadedFile("essai.yaml", "é".encode("latin-1"))}
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()


def test_checking_only_validates_without_publishing(staff_client: Client) -> None:
    upload = SimpleUploadedFile("essai.yaml", BASE.encode())
    response = staff_client.post(URL, {"file": upload, "action": "check"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fichier valide : essai (non publié)" in page and "4 nœuds" in page
    assert "DC2, DC4" in page
    assert not Activity.objects.filter(slug="essai").exists()
