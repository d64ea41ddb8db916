"""manage.py frameworks_load [--path FILE ...]: load competence frameworks, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lti_tool.grading.frameworks.schema import FrameworkDataError
from lti_tool.grading.frameworks.services import framework_files, frameworks_load


class Command(BaseCommand):
    help = (
        "Charge les référentiels de compétences (par défaut tous les fichiers YAML de "
        "lti_tool/grading/frameworks/data/). Idempotent : relancer ne change rien."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            action="append",
            type=Path,
            dest="paths",
            metavar="FICHIER",
            help="Fichier YAML à charger (répétable). Par défaut : tous les fichiers livrés.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = options["paths"] or framework_files()
        try:
            report = frameworks_load(paths=paths)
        except FrameworkDataError as error:
            raise CommandError(error.message) from error
        self.stdout.write(report.summary())
        if not report.changed:
            self.stdout.write("Aucun changement.")
