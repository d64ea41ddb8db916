"""The framework screens are for staff only and show the data as shipped, uncertainty included."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from lti_tool.grading.frameworks.models import Framework
from lti_tool.grading.frameworks.moodle_csv import MOODLE_CSV_HEADER

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = get_user_model().objects.create_user(
        username="admin.centre", password="x", is_staff=True
    )
    client.force_login(user)
    return client


def screens(framework: Framework) -> list[str]:
    args = [framework.code, framework.version]
    return [
        reverse("frameworks:index"),
        reverse("frameworks:detail", args=args),
        reverse("frameworks:moodle_csv", args=args),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, decesf: Framework) -> None:
    for url in screens(decesf):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_non_staff_users_are_refused(client: Client, decesf: Framework) -> None:
    user = get_user_model().objects.create_user(username="lea.bernard", password="x")
    client.force_login(user)
    for url in screens(decesf):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_the_list_shows_each_framework_with_its_counts_and_export_link(
    staff_client: Client, decesf: Framework
) -> None:
    response = staff_client.get(reverse("frameworks:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "DECESF-2018" in page
    assert "4 domaines, 35 compétences, 57 indicateurs" in page
    assert reverse("frameworks:moodle_csv", args=["DECESF-2018", 1]) in page
    assert response["X-Frame-Options"] == "DENY"


def test_the_detail_shows_domains_competences_indicators_and_the_dc3_doubt(
    staff_client: Client, decesf: Framework
) -> None:
    response = staff_client.get(reverse("frameworks:detail", args=["DECESF-2018", 1]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="domaine-DC3"' in page
    assert "intitulé à vérifier" in page
    assert page.count('class="badge uncertain"') == 2  # in the domain list and on DC3's heading
    assert "Communication professionnelle en travail social" in page
    assert "DC2.A3.4" in page
    assert "SC-COMMUNE" in page
    assert "validée par le BTS ESF" in page
    assert '<th scope="col">' in page


def test_an_unknown_framework_version_is_a_404_page_in_french(
    staff_client: Client, decesf: Framework
) -> None:
    response = staff_client.get(reverse("frameworks:detail", args=["DECESF-2018", 7]))
    assert response.status_code == 404
    assert "n'existe pas en version 7" in html.unescape(response.content.decode())


def test_staff_download_the_moodle_csv_as_an_attachment(
    staff_client: Client, decesf: Framework
) -> None:
    response = staff_client.get(reverse("frameworks:moodle_csv", args=["DECESF-2018", 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="DECESF-2018-v1-moodle.csv"'
    assert response.content.decode().startswith(",".join(MOODLE_CSV_HEADER[:2]))


def test_the_detail_page_needs_a_fixed_number_of_queries(
    staff_client: Client, decesf: Framework, django_assert_max_num_queries: Any
) -> None:
    # Session, user, framework, then one query per level (prefetch): not one per competence.
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("frameworks:detail", args=["DECESF-2018", 1]))
    assert response.status_code == 200
