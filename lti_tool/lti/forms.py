"""Staff forms of the lti app: manual registration of a platform."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lti_tool.lti.registration import moodle_tool_details_parse
from lti_tool.lti.registration_services import RegistrationValues

URL_FIELDS = ("issuer", "key_set_url", "auth_token_url", "auth_login_url")
VALUE_FIELDS = ("issuer", "client_id", "deployment_id", *URL_FIELDS[1:])


def http_url_error(value: str) -> str | None:
    """Why ``value`` is not an absolute http(s) URL, or None when it is."""
    if any(ch.isspace() for ch in value):
        return _("L'adresse ne doit pas contenir d'espace.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return _("Adresse mal formée.")
    if parts.scheme not in {"http", "https"}:
        return _("L'adresse doit commencer par https:// (ou http:// en test).")
    if not parts.hostname:
        return _("L'adresse doit contenir un nom de serveur.")
    return None


class ManualRegistrationForm(forms.Form):
    """Moodle's six values, typed one by one or pasted as its "tool details" block."""

    name = forms.CharField(
        label=gettext_lazy("Nom de la plateforme"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Pour vous y retrouver, p. ex. « Moodle de l'IRTS ». Facultatif."),
    )
    pasted = forms.CharField(
        label=gettext_lazy("Bloc copié depuis Moodle"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "Dans Moodle, Gérer les outils → icône « Voir les détails de configuration » de "
            "l'outil : copiez tout le bloc et collez-le ici. Les champs ci-dessous sont alors "
            "remplis à partir du bloc."
        ),
    )
    issuer = forms.CharField(
        label=gettext_lazy("Platform ID (identifiant de la plateforme)"),
        max_length=500,
        required=False,
    )
    client_id = forms.CharField(label=gettext_lazy("Client ID"), max_length=255, required=False)
    deployment_id = forms.CharField(
        label=gettext_lazy("Deployment ID"), max_length=255, required=False
    )
    key_set_url = forms.CharField(
        label=gettext_lazy("Public keyset URL"), max_length=500, required=False
    )
    auth_token_url = forms.CharField(
        label=gettext_lazy("Access token URL"), max_length=500, required=False
    )
    auth_login_url = forms.CharField(
        label=gettext_lazy("Authentication request URL"), max_length=500, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._fill_from_pasted_block(data)
        for name in VALUE_FIELDS:
            if not data.get(name):
                self.add_error(
                    name, _("Ce champ est obligatoire (collez le bloc ou saisissez-le).")
                )
        for name in URL_FIELDS:
            error = http_url_error(data.get(name) or "") if data.get(name) else None
            if error:
                self.add_error(name, error)
        issuer = data.get("issuer") or ""
        if issuer.endswith("/") and not self.has_error("issuer"):
            # Moodle's iss is its wwwroot without a trailing slash (shared/moodle.md), and
            # launches compare iss character for character.
            data["issuer"] = issuer.rstrip("/")
            self.warnings.append(
                _(
                    "La barre oblique finale de l'identifiant de plateforme a été retirée "
                    "(%(issuer)s) : Moodle l'envoie sans barre finale."
                )
                % {"issuer": data["issuer"]}
            )
        return data

    def _fill_from_pasted_block(self, data: dict[str, Any]) -> None:
        pasted = (data.get("pasted") or "").strip()
        if not pasted:
            return
        parsed = moodle_tool_details_parse(pasted)
        if not parsed:
            self.add_error(
                "pasted",
                _(
                    "Aucune valeur reconnue dans le bloc collé : il doit contenir des lignes "
                    "comme « Platform ID  https://moodle.exemple.fr » ou « Client ID  abc123 »."
                ),
            )
            return
        for name, value in parsed.items():
            # A value typed in its own field wins over the block: it is the later correction.
            if not (data.get(name) or "").strip():
                data[name] = value

    def registration_values(self) -> RegistrationValues:
        data = self.cleaned_data
        issuer = data["issuer"].strip()
        return RegistrationValues(
            name=(data.get("name") or "").strip() or urlsplit(issuer).netloc or issuer,
            issuer=issuer,
            client_id=data["client_id"].strip(),
            auth_login_url=data["auth_login_url"].strip(),
            auth_token_url=data["auth_token_url"].strip(),
            key_set_url=data["key_set_url"].strip(),
        )

    @property
    def deployment_ids(self) -> list[str]:
        return [self.cleaned_data["deployment_id"].strip()]
