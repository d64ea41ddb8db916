"""Indicator-level feedback shown to students (domain.md §4.1 point 5), as pure functions.

Students read each criterion as acquis / en cours / non acquis rather than a number: the
numeric grade per domain is what goes to Moodle, the indicator reading is what helps them
work. Thresholds on the criterion ratio ``s_c`` (0..1): ≥ 0.75 acquis, ≥ 0.5 en cours.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from lti_tool.grading.rules import Reading

ACQUIRED_FROM = Decimal("0.75")
IN_PROGRESS_FROM = Decimal("0.5")


class IndicatorReading(StrEnum):
    ACQUIRED = "acquis"
    IN_PROGRESS = "en_cours"
    NOT_ACQUIRED = "non_acquis"


INDICATOR_LABELS = {
    IndicatorReading.ACQUIRED: _("acquis"),
    IndicatorReading.IN_PROGRESS: _("en cours"),
    IndicatorReading.NOT_ACQUIRED: _("non acquis"),
}

# Domain readings of rules.reading(): "acquis pour cette activité" (domain.md §0 point 6).
READING_LABELS = {
    Reading.ACQUIRED: _("acquis pour cette activité"),
    Reading.FRAGILE: _("fragile"),
    Reading.NOT_ACQUIRED: _("non acquis"),
}

# Rubric levels 0..4 (domain.md §4.2), as the trainer sees them in the moderation form.
LEVEL_LABELS = {
    0: _("0 — absent ou inadapté"),
    1: _("1 — insuffisant"),
    2: _("2 — en voie d'acquisition"),
    3: _("3 — acquis"),
    4: _("4 — maîtrisé"),
}


def indicator_reading(ratio: Decimal) -> IndicatorReading:
    """Reading of one criterion from its ratio ``s_c`` in [0, 1]."""
    if ratio >= ACQUIRED_FROM:
        return IndicatorReading.ACQUIRED
    if ratio >= IN_PROGRESS_FROM:
        return IndicatorReading.IN_PROGRESS
    return IndicatorReading.NOT_ACQUIRED
