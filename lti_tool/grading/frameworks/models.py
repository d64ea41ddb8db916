"""Competence frameworks as versioned data (domain.md §9.1).

Framework (code + version) → Domain (DC or BC) → Competence → Indicator. Rows are written
only by the loader (services.frameworks_load) from the YAML files in ``data/``; codes are
immutable once shipped, so other apps may keep references to them for ever (domain.md
§4.5: old grades stay on old codes). Rows are never deleted: foreign keys protect them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lti_tool.core.models import BaseModel
from lti_tool.grading.frameworks import constants


class Framework(BaseModel):
    class Status(models.TextChoices):
        ACTIVE = constants.STATUS_ACTIVE, _("en vigueur")
        ARCHIVED = constants.STATUS_ARCHIVED, _("archivé")

    code = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    title_fr = models.TextField()
    title_en = models.TextField(blank=True)
    # The texts say "2020-09" or "session 2027": kept as written, with optional exact dates.
    valid_from = models.CharField(max_length=60, blank=True)
    valid_until = models.CharField(max_length=60, blank=True)
    valid_from_date = models.DateField(null=True, blank=True)
    valid_until_date = models.DateField(null=True, blank=True)
    sources = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source_file = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("code", "-version")
        constraints = [
            models.UniqueConstraint(fields=("code", "version"), name="framework_code_version"),
        ]
        verbose_name = _("référentiel")
        verbose_name_plural = _("référentiels")

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Domain(BaseModel):
    class Kind(models.TextChoices):
        DC = constants.DOMAIN_KIND_DC, _("domaine de compétences")
        BC = constants.DOMAIN_KIND_BC, _("bloc de compétences")

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="domains")
    code = models.CharField(max_length=20)
    kind = models.CharField(max_length=2, choices=Kind.choices)
    title_fr = models.TextField()
    title_en = models.TextField(blank=True)
    # Used in AGS line-item labels: "<activity> — DC2 Intervention sociale" (domain.md §4.4).
    short_title_fr = models.CharField(max_length=120, blank=True)
    hours = models.PositiveIntegerField(null=True, blank=True)
    ects = models.PositiveSmallIntegerField(null=True, blank=True)
    rncp_blocs = models.JSONField(default=list, blank=True)
    # domain.md marks unverified facts [U]; the screen shows them so nobody takes them as law.
    title_uncertain = models.BooleanField(default=False)
    uncertainty_note = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("framework", "order", "code")
        constraints = [
            models.UniqueConstraint(fields=("framework", "code"), name="domain_framework_code"),
        ]
        verbose_name = _("domaine")
        verbose_name_plural = _("domaines")

    def __str__(self) -> str:
        return f"{self.code} {self.title_fr}"

    @property
    def label(self) -> str:
        """Code and short title, e.g. "DC2 Intervention sociale"."""
        return f"{self.code} {self.short_title_fr or self.title_fr}"


class Competence(BaseModel):
    # The framework is repeated here so that a code is unique in the whole framework version.
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="competences")
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="competences")
    code = models.CharField(max_length=30)
    rncp_code = models.CharField(max_length=30, blank=True)
    label_fr = models.TextField()
    label_en = models.TextField(blank=True)
    bts_validated = models.BooleanField(default=False)
    socle = models.JSONField(default=list, blank=True)
    official = models.BooleanField(default=True)
    note = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("domain__order", "order", "code")
        constraints = [
            models.UniqueConstraint(fields=("framework", "code"), name="competence_framework_code"),
        ]
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")

    def __str__(self) -> str:
        return f"{self.code} {self.label_fr}"


class Indicator(BaseModel):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="indicators")
    competence = models.ForeignKey(Competence, on_delete=models.PROTECT, related_name="indicators")
    code = models.CharField(max_length=40)
    label_fr = models.TextField()
    label_en = models.TextField(blank=True)
    # Indicators are Atelier's own observable behaviours unless a text says otherwise.
    official = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("competence__domain__order", "competence__order", "order", "code")
        constraints = [
            models.UniqueConstraint(fields=("framework", "code"), name="indicator_framework_code"),
        ]
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")

    def __str__(self) -> str:
        return f"{self.code} {self.label_fr}"
