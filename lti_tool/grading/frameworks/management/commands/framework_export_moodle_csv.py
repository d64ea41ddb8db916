"""manage.py framework_export_moodle_csv CODE [--version N] [--output FILE].

Writes the framework in the CSV format of Moodle's "Import competency framework" tool
(Site administration → Competencies → Import competency framework), so a centre can mirror
the framework in Moodle. Without --output the CSV goes to standard output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lti_tool.core.exceptions import NotFound
from lti_tool.grading.frameworks.moodle_csv import framework_moodle_csv
from lti_tool.grading.frameworks.selectors import framework_get


class Command(BaseCommand):
    help = "Exporte un référentiel au format CSV d'import de référentiels de compétences de Moodle."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Our --version is the framework version; it replaces Django's --version (which
        # prints Django's own version) instead of clashing with it.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="Code du référentiel, par exemple DECESF-2018.")
        parser.add_argument(
            "--version",
            dest="framework_version",
            type=int,
            default=None,
            help="Version du référentiel (par défaut la plus récente).",
        )
        parser.add_argument("--output", type=Path, default=None, help="Fichier à écrire.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            framework = framework_get(code=options["code"], version=options["framework_version"])
        except NotFound as error:
            raise CommandError(error.message) from error
        content = framework_moodle_csv(framework=framework)
        output: Path | None = options["output"]
        if output is None:
            self.stdout.write(content, ending="")
            return
        try:
            output.write_text(content, encoding="utf-8", newline="")
        except OSError as error:
            raise CommandError(f"Impossible d'écrire {output} : {error}") from error
        self.stdout.write(f"{framework} exporté dans {output}.")
