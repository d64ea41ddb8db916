"""Manual registration: the staff screens, the admin and ``manage.py lti_register``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from lti_tool.lti.models import Deployment, Registration
from tests.lti.registration_samples import MOODLE_BLOCK

pytestmark = pytest.mark.django_db


STAFF_GET_URLS = ("lti:registration_index", "lti:registration_create", "lti:tool_values")


@pytest.fixture
def staff(django_user_model: type[AbstractBaseUser]) -> AbstractBaseUser:
    return django_user_model.objects.create_user(  # type: ignore[attr-defined]
        username="admin.site", password="motdepasse-solide-42", is_staff=True
    )


@pytest.fixture
def staff_client(staff: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def registration_make(**overrides: object) -> Registration:
    values: dict[str, object] = {
        "name": "Moodle IRTS",
        "issuer": "https://moodle.example.fr",
        "client_id": "q8XkLmN3pR5sT7v",
        "auth_login_url": "https://moodle.example.fr/mod/lti/auth.php",
        "auth_token_url": "https://moodle.example.fr/mod/lti/token.php",
        "key_set_url": "https://moodle.example.fr/mod/lti/certs.php",
        "source": Registration.Source.MANUAL,
    }
    values.update(overrides)
    return Registration.objects.create(**values)


# --- who may see the screens -----------------------------------------------------------


@pytest.mark.parametrize("name", STAFF_GET_URLS)
def test_staff_screens_send_anonymous_visitors_to_the_login_page(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("name", STAFF_GET_URLS)
def test_staff_screens_refuse_a_logged_in_user_who_is_not_staff(
    django_user_model: type[AbstractBaseUser], name: str
) -> None:
    user = django_user_model.objects.create_user(  # type: ignore[attr-defined]
        username="etudiant", password="motdepasse-solide-42"
    )
    client = Client()
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_anonymous_post_cannot_switch_a_deployment_on(client: Client) -> None:
    deployment = Deployment.objects.create(registration=registration_make(), deployment_id="9")
    response = client.post(reverse("lti:deployment_toggle", args=[deployment.pk]), {"active": "1"})
    assert response.status_code == 302
    deployment.refresh_from_db()
    assert deployment.active is False


def test_staff_screens_cannot_be_framed(staff_client: Client) -> None:
    response = staff_client.get(reverse("lti:registration_index"))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


def test_staff_posts_still_need_the_csrf_token(staff: AbstractBaseUser) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(reverse("lti:registration_create"), {"pasted": MOODLE_BLOCK})
    assert response.status_code == 403
    assert not Registration.objects.exists()


# --- the manual registration form ------------------------------------------------------


def test_pasted_moodle_block_registers_the_platform_and_its_deployment(
    staff_client: Client,
) -> None:
    response = staff_client.post(
        reverse("lti:registration_create"), {"name": "Moodle IRTS", "pasted": MOODLE_BLOCK}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    registration = Registration.objects.get()
    assert registration.issuer == "https://moodle.example.fr"
    assert registration.client_id == "q8XkLmN3pR5sT7v"
    assert registration.auth_login_url == "https://moodle.example.fr/mod/lti/auth.php"
    assert registration.auth_token_url == "https://moodle.example.fr/mod/lti/token.php"
    assert registration.key_set_url == "https://moodle.example.fr/mod/lti/certs.php"
    assert registration.source == Registration.Source.MANUAL
    assert registration.active
    deployment = registration.deployments.get()
    assert (deployment.deployment_id, deployment.active) == ("3", True)
    assert deployment.accepted_at is not None
    listing = staff_client.get(response["Location"])
    assert "Moodle IRTS" in listing.content.decode()


def test_six_fields_typed_one_by_one_register_the_platform(staff_client: Client) -> None:
    response = staff_client.post(
        reverse("lti:registration_create"),
        {
            "issuer": "https://moodle.example.fr",
            "client_id": "abc",
            "deployment_id": "4",
            "key_set_url": "https://moodle.example.fr/mod/lti/certs.php",
            "auth_token_url": "https://moodle.example.fr/mod/lti/token.php",
            "auth_login_url": "https://moodle.example.fr/mod/lti/auth.php",
        },
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    # Without a name, the host names it.
    assert registration.name == "moodle.example.fr"


def test_registering_the_same_platform_again_adds_the_deployment_instead_of_failing(
    staff_client: Client,
) -> None:
    staff_client.post(reverse("lti:registration_create"), {"pasted": MOODLE_BLOCK})
    again = MOODLE_BLOCK.replace("Deployment ID\t3", "Deployment ID\t5")
    response = staff_client.post(reverse("lti:registration_create"), {"pasted": again}, follow=True)
    assert response.status_code == 200
    assert "existait déjà" in response.content.decode()
    registration = Registration.objects.get()
    assert sorted(registration.deployments.values_list("deployment_id", flat=True)) == ["3", "5"]


def test_non_http_urls_and_missing_values_are_refused_in_french(staff_client: Client) -> None:
    response = staff_client.post(
        reverse("lti:registration_create"),
        {
            "issuer": "moodle.example.fr",
            "client_id": "abc",
            "key_set_url": "ftp://moodle.example.fr/certs",
            "auth_token_url": "https://moodle.example.fr/mod/lti/token.php",
            "auth_login_url": "https://moodle.example.fr/mod/lti/auth.php",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "https://" in " ".join(form.errors["issuer"])
    assert "https://" in " ".join(form.errors["key_set_url"])
    assert "obligatoire" in " ".join(form.errors["deployment_id"])
    assert not Registration.objects.exists()


def test_unreadable_pasted_block_says_what_it_expects(staff_client: Client) -> None:
    response = staff_client.post(reverse("lti:registration_create"), {"pasted": "n'importe quoi"})
    assert response.status_code == 400
    assert "Platform ID" in " ".join(response.context["form"].errors["pasted"])


def test_issuer_with_a_trailing_slash_is_stored_without_it_and_the_admin_is_told(
    staff_client: Client,
) -> None:
    block = MOODLE_BLOCK.replace(
        "Platform ID\thttps://moodle.example.fr", "Platform ID\thttps://moodle.example.fr/"
    )
    response = staff_client.post(reverse("lti:registration_create"), {"pasted": block}, follow=True)
    assert Registration.objects.get().issuer == "https://moodle.example.fr"
    assert "barre oblique finale" in response.content.decode()


# --- accepting and switching off ------------------------------------------------------------


def test_staff_accepts_a_deployment_waiting_since_a_launch(staff_client: Client) -> None:
    deployment = Deployment.objects.create(registration=registration_make(), deployment_id="9")
    listing = staff_client.get(reverse("lti:registration_index")).content.decode()
    assert "en attente d&#x27;acceptation" in listing or "en attente d'acceptation" in listing
    response = staff_client.post(
        reverse("lti:deployment_toggle", args=[deployment.pk]), {"active": "1"}
    )
    assert response.status_code == 302
    deployment.refresh_from_db()
    assert deployment.active and deployment.accepted_at is not None


def test_staff_switches_a_registration_off_and_on(staff_client: Client) -> None:
    registration = registration_make()
    url = reverse("lti:registration_toggle", args=[registration.pk])
    staff_client.post(url, {"active": "0"})
    registration.refresh_from_db()
    assert registration.active is False
    staff_client.post(url, {"active": "1"})
    registration.refresh_from_db()
    assert registration.active is True


def test_toggling_an_unknown_deployment_is_a_404(staff_client: Client) -> None:
    response = staff_client.post(reverse("lti:deployment_toggle", args=[999999]), {"active": "1"})
    assert response.status_code == 404


def test_values_page_lists_what_moodle_asks_one_redirect_uri_per_line(
    staff_client: Client,
) -> None:
    response = staff_client.get(reverse("lti:tool_values"), HTTP_HOST="127.0.0.1")
    page = response.content.decode()
    assert response.status_code == 200
    for path in ("/lti/launch/", "/lti/login/", "/lti/jwks/", "/lti/deep-link/", "/lti/register/"):
        assert f"http://127.0.0.1{path}" in page
    assert "http://127.0.0.1/lti/launch/\nhttp://127.0.0.1/lti/deep-link/" in page
    assert "Use this service for grade sync and column management" in page


def test_admin_lists_registrations_for_staff_superuser(
    django_user_model: type[AbstractBaseUser],
) -> None:
    registration_make()
    admin = django_user_model.objects.create_superuser(  # type: ignore[attr-defined]
        username="root", password="motdepasse-solide-42", email="root@example.fr"
    )
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("admin:lti_registration_changelist"))
    assert response.status_code == 200
    assert "Moodle IRTS" in response.content.decode()
    assert client.get(reverse("admin:lti_registration_add")).status_code == 403


# --- manage.py lti_register ------------------------------------------------------------------

COMMAND_ARGS = [
    "--name=Moodle IRTS",
    "--issuer=https://moodle.example.fr",
    "--client-id=q8XkLmN3pR5sT7v",
    "--deployment-id=3",
    "--jwks-url=https://moodle.example.fr/mod/lti/certs.php",
    "--token-url=https://moodle.example.fr/mod/lti/token.php",
    "--auth-url=https://moodle.example.fr/mod/lti/auth.php",
]


def test_lti_register_creates_then_changes_nothing_when_run_again() -> None:
    out = StringIO()
    call_command("lti_register", *COMMAND_ARGS, stdout=out)
    call_command("lti_register", *COMMAND_ARGS, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("created registration")
    assert lines[1].startswith("updated registration")
    registration = Registration.objects.get()
    assert registration.name == "Moodle IRTS"
    assert list(registration.deployments.values_list("deployment_id", "active")) == [("3", True)]


def test_lti_register_refuses_a_bad_url_naming_the_option() -> None:
    args = [a if not a.startswith("--token-url") else "--token-url=token.php" for a in COMMAND_ARGS]
    with pytest.raises(CommandError) as refused:
        call_command("lti_register", *args)
    assert "--token-url" in str(refused.value)
    assert not Registration.objects.exists()


def test_lti_register_deactivate_switches_off_a_deployment_or_the_registration() -> None:
    call_command("lti_register", *COMMAND_ARGS, "--deployment-id=4", stdout=StringIO())
    base = ["--issuer=https://moodle.example.fr", "--client-id=q8XkLmN3pR5sT7v", "--deactivate"]
    call_command("lti_register", *base, "--deployment-id=4", stdout=StringIO())
    registration = Registration.objects.get()
    assert dict(registration.deployments.values_list("deployment_id", "active")) == {
        "3": True,
        "4": False,
    }
    assert registration.active
    call_command("lti_register", *base, stdout=StringIO())
    registration.refresh_from_db()
    assert registration.active is False


def test_lti_register_deactivate_of_an_unknown_platform_says_so() -> None:
    with pytest.raises(CommandError, match="Aucune plateforme"):
        call_command(
            "lti_register", "--issuer=https://x.example", "--client-id=nope", "--deactivate"
        )
