"""Django admin for the lti models: read-mostly.

Registrations are created by dynamic registration, the staff screen
(``lti:registration_create``) or ``manage.py lti_register``; keys by ``manage.py lti_keys``;
users, courses and links by launches. The admin lets staff look, rename, and switch a
registration or a deployment on and off, nothing that would bypass those services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lti_tool.lti.models import (
    Context,
    Deployment,
    Group,
    LtiUser,
    Membership,
    Registration,
    ResourceLink,
    RosterSync,
    ToolKey,
)
from lti_tool.lti.registration_services import deployment_set_active


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by launches and commands: look, never type."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 0
    fields = ("deployment_id", "active", "accepted_at", "created_at")
    readonly_fields = ("deployment_id", "accepted_at", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "client_id", "source", "active", "created_at")
    list_filter = ("source", "active")
    search_fields = ("name", "issuer", "client_id")
    # Only the name and the switch are typed here; the values come from the platform.
    readonly_fields = (
        "source",
        "issuer",
        "client_id",
        "auth_login_url",
        "auth_token_url",
        "auth_audience",
        "key_set_url",
        "created_at",
        "updated_at",
    )
    fields = ("name", "active", *readonly_fields)
    inlines = [DeploymentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New platforms go through the registration screen, which checks the values.
        return False


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ("deployment_id", "registration", "active", "accepted_at", "created_at")
    list_filter = ("active", "registration")
    search_fields = ("deployment_id", "registration__name", "registration__issuer")
    fields = ("registration", "deployment_id", "active", "accepted_at", "created_at")
    readonly_fields = ("registration", "deployment_id", "accepted_at", "created_at")
    actions = ["accept_deployments", "deactivate_deployments"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Deployment, form: Any, change: bool) -> None:
        if obj.active and obj.accepted_at is None:
            obj.accepted_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Accepter les déploiements choisis"))
    def accept_deployments(self, request: HttpRequest, queryset: Any) -> None:
        for deployment in queryset:
            deployment_set_active(deployment=deployment, active=True)

    @admin.action(description=_("Désactiver les déploiements choisis"))
    def deactivate_deployments(self, request: HttpRequest, queryset: Any) -> None:
        for deployment in queryset:
            deployment_set_active(deployment=deployment, active=False)


@admin.register(ToolKey)
class ToolKeyAdmin(ReadOnlyAdmin):
    list_display = ("kid", "status", "activated_at", "grace_until", "retired_at")
    list_filter = ("status",)
    readonly_fields = (
        "kid",
        "public_jwk",
        "private_key_file",
        "status",
        "activated_at",
        "grace_until",
        "retired_at",
        "created_at",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a row would orphan its key file and break platforms that cached it.
        return False


@admin.register(LtiUser)
class LtiUserAdmin(ReadOnlyAdmin):
    list_display = ("display_name", "email", "registration", "sub", "last_launch_at")
    list_filter = ("registration",)
    search_fields = ("name", "given_name", "family_name", "email", "sub")
    list_select_related = ("registration",)


@admin.register(Context)
class ContextAdmin(ReadOnlyAdmin):
    list_display = ("title", "label", "context_id", "deployment")
    search_fields = ("title", "label", "context_id")
    list_select_related = ("deployment__registration",)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("lti_user", "context", "is_trainer", "is_student", "source")
    list_filter = ("is_trainer", "is_student", "source")
    list_select_related = ("lti_user", "context")


@admin.register(ResourceLink)
class ResourceLinkAdmin(ReadOnlyAdmin):
    list_display = ("title", "resource_link_id", "context", "ags_lineitem_url")
    search_fields = ("title", "resource_link_id")
    list_select_related = ("context",)


@admin.register(RosterSync)
class RosterSyncAdmin(ReadOnlyAdmin):
    """When each course's roster was last read through NRPS (lti/roster.py)."""

    list_display = ("context", "synced_at", "members_count", "pages", "failed_at", "last_error")
    list_select_related = ("context",)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    """Role-play groups: from the platform or made by trainers in Atelier."""

    list_display = ("name", "context", "source", "external_id")
    list_filter = ("source",)
    search_fields = ("name", "external_id")
    list_select_related = ("context",)
