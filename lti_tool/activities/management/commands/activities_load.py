"""manage.py activities_load [--path FILE ...]: publish scenario and role-play files,
idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lti_tool.activities.content_yaml import ContentInvalid
from lti_tool.activities.services import activities_load, shipped_files


class Command(BaseCommand):
    help = (
        "Publie les scénarios et les fiches de jeu de rôle (par défaut tous les fichiers YAML "
        "de lti_tool/activities/scenarios/data/ et roleplays/data/ ; le type se lit dans la "
        "clé format). Idempotent : un fichier inchangé ne crée pas "
        "de nouvelle version ; un fichier modifié devient la version suivante."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            action="append",
            type=Path,
            dest="paths",
            metavar="FICHIER",
            help=(
                "Fichier YAML de scénario ou de jeu de rôle à publier (répétable). "
                "Par défaut : les fichiers livrés."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = options["paths"] or shipped_files()
        try:
            versions = activities_load(paths=paths)
        except ContentInvalid as error:
            raise CommandError(error.message) from error
        for version in versions:
            self.stdout.write(
                f"{version.activity.slug} v{version.version} — {version.title} "
                f"(domaines : {', '.join(version.domains)} ; fichier : {version.source_name})"
            )
