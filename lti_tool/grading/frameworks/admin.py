"""Django admin for frameworks: read only. Rows come from the data files (data/README.md)
through ``manage.py frameworks_load``; editing them here would bypass the code rules."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lti_tool.grading.frameworks.models import Competence, Domain, Framework, Indicator


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyAdmin):
    list_display = ("code", "version", "title_fr", "valid_from", "valid_until", "status")
    list_filter = ("status",)


@admin.register(Domain)
class DomainAdmin(ReadOnlyAdmin):
    list_display = ("code", "framework", "kind", "title_fr", "title_uncertain")
    list_filter = ("framework", "kind", "title_uncertain")


@admin.register(Competence)
class CompetenceAdmin(ReadOnlyAdmin):
    list_display = ("code", "framework", "domain", "label_fr", "bts_validated")
    list_filter = ("framework", "domain__code", "bts_validated")
    search_fields = ("code", "label_fr", "rncp_code")


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ("code", "framework", "competence", "label_fr", "official")
    list_filter = ("framework",)
    search_fields = ("code", "label_fr")
