"""Manage the tool's signing keys: ``create``, ``list``, ``rotate``, ``retire``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lti_tool.core.exceptions import ApplicationError
from lti_tool.lti.keys import tool_key_create, tool_key_rotate, tool_keys_retire_expired
from lti_tool.lti.models import ToolKey


class Command(BaseCommand):
    help = "Crée, liste, fait tourner ou retire les clés RSA de l'outil (dossier keys/)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("create", help="Crée la première clé active.")
        sub.add_parser("list", help="Liste les clés et leur statut.")
        rotate = sub.add_parser(
            "rotate", help="Active une nouvelle clé ; l'ancienne reste publiée."
        )
        rotate.add_argument(
            "--grace-hours",
            type=float,
            default=None,
            help="Durée de publication de l'ancienne clé (défaut : LTI_KEY_GRACE_SECONDS).",
        )
        sub.add_parser("retire", help="Retire les clés dont la période de grâce est finie.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                key = tool_key_create()
                self.stdout.write(f"created {key.kid}")
            elif action == "rotate":
                hours = options["grace_hours"]
                grace = timedelta(hours=hours) if hours is not None else None
                key = tool_key_rotate(grace=grace)
                self.stdout.write(f"rotated: {key.kid} is now active")
            elif action == "retire":
                self.stdout.write(f"retired {tool_keys_retire_expired()} key(s)")
            else:
                self._list()
        except ApplicationError as error:
            raise CommandError(error.message) from error

    def _list(self) -> None:
        for key in ToolKey.objects.order_by("-created_at"):
            until = f" until {key.grace_until.isoformat()}" if key.grace_until else ""
            self.stdout.write(
                f"{key.kid}\t{key.status}{until}\tcreated {key.created_at.isoformat()}"
            )
