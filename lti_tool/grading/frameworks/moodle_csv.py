"""Export a framework in the CSV format of Moodle's competency framework import.

Format of admin/tool/lpimportcsv (Moodle core plugin "Import competency framework"):
``framework_importer::list_required_headers()`` fixes 14 columns, read by position; the row
whose "Is framework" is true describes the framework (scale values as a comma-separated
list, scale configuration as JSON ``[{"scaleid": …}, {"id": n, "scaledefault": 0|1,
"proficient": 0|1}, …]`` — the importer replaces the scale id by the id of the matching or
newly created scale), taxonomy as one term per level); every other row is a competency whose
parent is named by its "Parent ID number" (empty = top level). Short names are cut at 100
characters by the importer, so we cut them ourselves at a word and keep the full text in the
description.

Tree: domains at the top, competences under their domain, indicators under their
competence. No completion rule is exported ("Rule type" empty): Moodle rules aggregate
children, and Atelier never combines results across domains (domain.md §0.1).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from html import escape

from django.utils.translation import gettext as _

from lti_tool.grading.frameworks.models import Competence, Domain, Framework, Indicator
from lti_tool.grading.frameworks.selectors import framework_tree

MOODLE_CSV_HEADER = (
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
)
FORMAT_HTML = "1"  # Moodle's FORMAT_HTML
SHORT_NAME_MAX = 100  # framework_importer shortens idnumber and shortname to 100 characters
# Moodle taxonomy terms (core_competency\competency_framework::TAXONOMY_*), one per level.
TAXONOMY = ("domain", "competency", "indicator")


def default_scale() -> tuple[tuple[str, bool], ...]:
    """(value, proficient) in scale order; "Acquis" is the default rating (see module doc)."""
    return (
        (_("Non acquis"), False),
        (_("En cours d'acquisition"), False),
        (_("Acquis"), True),
        (_("Maîtrisé"), True),
    )


DEFAULT_RATING = 3  # 1-based position of "Acquis" in default_scale()


def scale_values() -> str:
    return ",".join(value for value, _proficient in default_scale())


def scale_configuration() -> str:
    items = [
        {"id": index, "scaledefault": int(index == DEFAULT_RATING), "proficient": int(proficient)}
        for index, (_value, proficient) in enumerate(default_scale(), 1)
    ]
    # The importer overwrites scaleid with the scale it finds or creates for "Scale values".
    return json.dumps([{"scaleid": "0"}, *items], separators=(",", ":"))


def short_name(text: str) -> str:
    if len(text) <= SHORT_NAME_MAX:
        return text
    cut = text[: SHORT_NAME_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return cut + "…"


def moodle_framework_idnumber(framework: Framework) -> str:
    return f"{framework.code}-v{framework.version}"


def moodle_csv_filename(framework: Framework) -> str:
    return f"{moodle_framework_idnumber(framework)}-moodle.csv"


def _html(*paragraphs: str) -> str:
    return "".join(f"<p>{escape(text, quote=False)}</p>" for text in paragraphs if text)


def _row(*, parent: str, idnumber: str, name: str, description: str) -> list[str]:
    # Same order and fillers as Moodle's own framework_exporter for a competency row.
    return [
        parent,
        idnumber,
        short_name(name),
        description,
        FORMAT_HTML,
        "",
        "",
        "",
        "0",
        "null",
        "",
        "",
        "",
        "",
    ]


def _framework_row(framework: Framework) -> list[str]:
    validity = _("Validité : %(start)s → %(end)s.") % {
        "start": framework.valid_from or "?",
        "end": framework.valid_until or "?",
    }
    description = _html(
        framework.title_fr,
        validity,
        _("Chaque domaine est évalué séparément : aucune compensation entre domaines."),
        *framework.sources,
    )
    name = f"{framework.code} v{framework.version} — {framework.title_fr}"
    return [
        "", moodle_framework_idnumber(framework), short_name(name), description, FORMAT_HTML,
        scale_values(), scale_configuration(), "", "", "", "", "", "1", ",".join(TAXONOMY),
    ]  # fmt: skip


def _domain_row(domain: Domain) -> list[str]:
    facts = []
    if domain.title_uncertain:
        facts.append(_("Intitulé à vérifier : %(note)s") % {"note": domain.uncertainty_note})
    if domain.rncp_blocs:
        facts.append(_("Blocs RNCP : %(blocs)s.") % {"blocs": ", ".join(domain.rncp_blocs)})
    if domain.hours is not None:
        facts.append(_("Volume horaire : %(hours)d h.") % {"hours": domain.hours})
    if domain.ects is not None:
        facts.append(_("Crédits : %(ects)d ECTS.") % {"ects": domain.ects})
    return _row(
        parent="",
        idnumber=domain.code,
        name=f"{domain.code} {domain.title_fr}",
        description=_html(domain.title_fr, *facts),
    )


def _competence_row(domain: Domain, competence: Competence) -> list[str]:
    facts = []
    if competence.rncp_code:
        facts.append(_("Code RNCP : %(code)s.") % {"code": competence.rncp_code})
    if competence.bts_validated:
        facts.append(_("Validée par le BTS ESF (non réévaluée en formation DECESF)."))
    if competence.socle:
        facts.append(_("Socle commun : %(tags)s.") % {"tags": ", ".join(competence.socle)})
    return _row(
        parent=domain.code,
        idnumber=competence.code,
        name=f"{competence.code} {competence.label_fr}",
        description=_html(competence.label_fr, *facts, competence.note),
    )


def _indicator_row(competence: Competence, indicator: Indicator) -> list[str]:
    origin = (
        "" if indicator.official else _("Indicateur observable proposé par Atelier (non officiel).")
    )
    return _row(
        parent=competence.code,
        idnumber=indicator.code,
        name=f"{indicator.code} {indicator.label_fr}",
        description=_html(indicator.label_fr, origin),
    )


def moodle_csv_rows(*, framework: Framework) -> Iterator[list[str]]:
    """Header, framework row, then each domain followed by its competences and indicators."""
    yield list(MOODLE_CSV_HEADER)
    yield _framework_row(framework)
    for domain in framework_tree(framework=framework):
        yield _domain_row(domain)
        for competence in domain.competences.all():
            yield _competence_row(domain, competence)
            for indicator in competence.indicators.all():
                yield _indicator_row(competence, indicator)


def framework_moodle_csv(*, framework: Framework) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerows(moodle_csv_rows(framework=framework))
    return buffer.getvalue()
