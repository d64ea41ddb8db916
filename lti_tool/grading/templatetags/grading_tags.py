"""Template helpers of the grading screens."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from lti_tool.grading.rules import ResultStatus

register = template.Library()

STATUS_LABELS = {
    ResultStatus.PROPOSED: _("proposé"),
    ResultStatus.TO_REVIEW: _("à examiner"),
    ResultStatus.FINAL: _("validé"),
}


@register.filter
def result_status_label(value: str) -> str:
    """French label of a result status (also for the raw values kept in the history)."""
    try:
        return str(STATUS_LABELS[ResultStatus(value)])
    except ValueError:
        return value or "—"


@register.filter
def score(value: object) -> str:
    """A score as people write it: ``12,5`` or ``14`` (stored to 2 decimals, no trailing 0)."""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value or "—")
    number = (
        number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    )
    return formats.number_format(number, use_l10n=True)
