"""Parsing of the moderation form: levels 0–4 per criterion, an optional /20 score, feedback
and a comment for the history. Every bad value gets a French message naming the field, so
the page can be shown again with the trainer's input (never a 500)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext as _

from lti_tool.grading.feedback import LEVEL_LABELS
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX, SCALE_MAX
from lti_tool.grading.selectors import CriterionEvidence

LEVEL_PREFIX = "niveau_"
VALIDATE, SAVE = "valider", "enregistrer"


@dataclass(frozen=True)
class CriterionField:
    """What the template needs to draw one criterion's radio group."""

    evidence: CriterionEvidence
    name: str
    value: str
    errors: list[str]
    levels: list[tuple[int, str]]


class ModerationForm(forms.Form):
    score_20 = forms.CharField(required=False, max_length=10)
    feedback = forms.CharField(required=False, max_length=5000, widget=forms.Textarea)
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)
    decision = forms.ChoiceField(choices=[(VALIDATE, VALIDATE), (SAVE, SAVE)], required=False)

    def __init__(self, *args: Any, criteria: Sequence[CriterionEvidence], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[LEVEL_PREFIX + criterion.code] = forms.CharField(
                required=False, max_length=5
            )

    def clean_score_20(self) -> Decimal | None:
        raw = (self.cleaned_data.get("score_20") or "").strip().replace(",", ".")
        if not raw:
            return None
        try:
            score = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(
                _(
                    "« %(value)s » n'est pas une note : écrivez un nombre entre 0 et 20, par exemple 12,5."
                )
                % {"value": raw}
            ) from None
        if not score.is_finite() or not Decimal(0) <= score <= SCALE_MAX:
            raise forms.ValidationError(
                _(
                    "La note %(value)s est hors de l'échelle : elle doit être comprise entre 0 et 20."
                )
                % {"value": raw}
            )
        if score != score.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("La note a au plus deux décimales (par exemple 12,75)."))
        return score

    def _level(self, criterion: CriterionEvidence) -> int | None:
        name = LEVEL_PREFIX + criterion.code
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None  # "conserver": the criterion keeps its evidence
        if not raw.isdigit() or int(raw) > RUBRIC_LEVEL_MAX:
            self.add_error(
                name,
                _(
                    "Niveau « %(value)s » impossible pour le critère « %(label)s » : "
                    "choisissez un niveau de 0 (absent) à 4 (maîtrisé)."
                )
                % {"value": raw, "label": criterion.label},
            )
            return None
        return int(raw)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        levels = {}
        for criterion in self.criteria:
            level = self._level(criterion)
            if level is not None:
                levels[criterion.code] = level
        cleaned["levels"] = levels
        changed = bool(levels) or cleaned.get("score_20") is not None
        if changed and not (cleaned.get("comment") or "").strip():
            self.add_error(
                "comment",
                _(
                    "Expliquez la modification dans le commentaire : il est gardé dans l'historique."
                ),
            )
        cleaned["finalise"] = cleaned.get("decision") != SAVE
        return cleaned

    def criterion_fields(self) -> list[CriterionField]:
        levels = [(level, str(label)) for level, label in LEVEL_LABELS.items()]
        return [
            CriterionField(
                evidence=c,
                name=LEVEL_PREFIX + c.code,
                value=str(self.data.get(LEVEL_PREFIX + c.code, "")) if self.is_bound else "",
                errors=[str(e) for e in self.errors.get(LEVEL_PREFIX + c.code, [])],
                levels=levels,
            )
            for c in self.criteria
        ]
