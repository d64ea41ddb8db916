"""Set up the built-in platform for a base URL, and optionally register the tool over HTTP.

The start script runs it once the server answers:
``manage.py demo_setup --base-url http://127.0.0.1:8000 --register``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lti_tool.core.exceptions import ApplicationError
from lti_tool.demo.selectors import platform_tool_current, platform_url
from lti_tool.demo.services import demo_platform_setup, demo_register_with_tool


class Command(BaseCommand):
    help = "Crée la plateforme LTI de démonstration (idempotent) et peut y enregistrer Atelier."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", required=True, help="http://hôte:port du serveur")
        parser.add_argument(
            "--register",
            action="store_true",
            help="Enregistrer Atelier par enregistrement dynamique s'il ne l'est pas encore "
            "(le serveur doit tourner).",
        )
        parser.add_argument(
            "--tool-base-url",
            default="",
            help="Adresse de l'outil si elle diffère de --base-url.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = options["base_url"].rstrip("/")
        try:
            platform = demo_platform_setup(base_url=base_url)
            tool = platform_tool_current(platform)
            if options["register"] and (tool is None or not tool.is_active):
                tool = demo_register_with_tool(
                    platform=platform, tool_base_url=options["tool_base_url"] or base_url
                )
                self.stdout.write(
                    f"Atelier enregistré : client_id {tool.client_id}, "
                    f"deployment_id {tool.deployment_id}"
                )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Plateforme : {platform.issuer}")
        self.stdout.write(f"Démo : {platform_url(platform, 'home')}")
