"""Print the tool's public LTI endpoints for a base URL (what an admin types into Moodle)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lti_tool.lti.endpoints import tool_endpoints
from lti_tool.lti.forms import http_url_error

TEXT_KEYS = (
    "login_url",
    "launch_url",
    "deep_link_url",
    "jwks_url",
    "registration_url",
    "redirect_uris",
    "domain",
)


class Command(BaseCommand):
    help = (
        "Affiche les adresses publiques de l'outil (login_url, launch_url, deep_link_url, "
        "jwks_url, registration_url, redirect_uris, domain) pour une URL de base."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=settings.LTI_TOOL_BASE_URL,
            help="URL publique de l'outil, p. ex. https://atelier.exemple.fr "
            "(défaut : ATELIER_BASE_URL).",
        )
        parser.add_argument("--json", action="store_true", help="Sortie JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = (options["base_url"] or "").strip()
        if not base_url:
            raise CommandError("Donnez --base-url (ou définissez ATELIER_BASE_URL).")
        error = http_url_error(base_url)
        if error:
            raise CommandError(f"--base-url {base_url}: {error}")
        data = tool_endpoints(base_url).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        for key in TEXT_KEYS:
            value = data[key]
            if isinstance(value, list):
                # Moodle's "Redirection URI(s)" field wants one per line.
                value = "\n".join(f"{'':18}{uri}" for uri in value).lstrip()
            self.stdout.write(f"{key:<18}{value}")
