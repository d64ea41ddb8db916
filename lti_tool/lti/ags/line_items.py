"""One AGS line item per (resource link, domain), found or created once (design.md §4).

The activity's first domain lives in the column the platform created with the activity
(the launch's AGS ``lineitem``); the others are looked up on the platform with
``?resource_link_id=`` and ``?tag=`` filters before any creation, so a retry after a crash
between "created on the platform" and "stored here" adopts the item instead of
duplicating it. Concurrent callers are serialised by a short cache lock and, last, by the
unique constraint on (resource_link, domain_code).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lti_tool.lti.access_tokens import cache_lock
from lti_tool.lti.ags.client import LineItemData, line_item_create, line_item_get, line_items_find
from lti_tool.lti.ags.errors import AgsNotAvailable, AgsPermanentError
from lti_tool.lti.models import LineItem, Registration, ResourceLink

DEFAULT_SCORE_MAXIMUM = Decimal(20)


def line_item_get_stored(*, resource_link: ResourceLink, domain_code: str) -> LineItem | None:
    return LineItem.objects.filter(resource_link=resource_link, domain_code=domain_code).first()


def _registration(resource_link: ResourceLink) -> Registration:
    return resource_link.context.deployment.registration


def _platform_line_item(
    *,
    resource_link: ResourceLink,
    label: str,
    tag: str,
    resource_id: str,
    score_maximum: Decimal | int,
    is_primary: bool,
) -> tuple[LineItemData, bool]:
    """(the platform's line item, whether the tool created it)."""
    registration = _registration(resource_link)
    if is_primary and resource_link.ags_lineitem_url:
        return line_item_get(registration, resource_link.ags_lineitem_url), False
    if not resource_link.ags_lineitems_url:
        raise AgsNotAvailable(
            _(
                "Les services de notes (AGS) ne sont pas activés pour l'activité « %(title)s » "
                "dans la plateforme : activez « Utiliser ce service pour la synchronisation "
                "des notes » dans la configuration de l'outil, puis relancez l'activité."
            )
            % {"title": resource_link.title or resource_link.resource_link_id}
        )
    found = line_items_find(
        registration,
        resource_link.ags_lineitems_url,
        resource_link_id=resource_link.resource_link_id,
        tag=tag,
    )
    if found:
        # Prefer the exact resourceId; a tag match on this resource link is ours anyway.
        return next((item for item in found if item.resource_id == resource_id), found[0]), True
    created = line_item_create(
        registration,
        resource_link.ags_lineitems_url,
        label=label,
        score_maximum=score_maximum,
        tag=tag,
        resource_id=resource_id,
        resource_link_id=resource_link.resource_link_id,
    )
    return created, True


def _line_item_store(
    *, resource_link: ResourceLink, domain_code: str, data: LineItemData, created_by_tool: bool
) -> LineItem:
    try:
        with transaction.atomic():
            return LineItem.objects.create(
                resource_link=resource_link,
                domain_code=domain_code,
                url=data.url,
                label=data.label[:255],
                tag=data.tag[:255],
                resource_id=data.resource_id[:255],
                score_maximum=data.score_maximum,
                created_by_tool=created_by_tool,
            )
    except IntegrityError as error:
        stored = line_item_get_stored(resource_link=resource_link, domain_code=domain_code)
        if stored is not None:
            return stored  # another worker stored it first
        other = LineItem.objects.filter(url=data.url).first()
        raise AgsPermanentError(
            _(
                "La colonne de notes %(url)s est déjà associée au domaine %(other)s ; elle ne "
                "peut pas recevoir aussi le domaine %(domain)s."
            )
            % {"url": data.url, "other": other.domain_code if other else "?", "domain": domain_code}
        ) from error


def line_item_ensure(
    *,
    resource_link: ResourceLink,
    domain_code: str,
    label: str,
    tag: str,
    resource_id: str,
    score_maximum: Decimal | int = DEFAULT_SCORE_MAXIMUM,
    is_primary: bool,
) -> LineItem:
    """The stored line item of (resource link, domain), adopted, found or created.

    Not one transaction on purpose: no database transaction stays open across the HTTP
    calls. Raises ``AgsError`` subclasses (transient ones are worth a retry).
    """
    stored = line_item_get_stored(resource_link=resource_link, domain_code=domain_code)
    if stored is not None:
        return stored
    wait = 2 * settings.LTI_HTTP_TIMEOUT_SECONDS + 5
    with cache_lock(f"lti:line-item:{resource_link.pk}:{domain_code}", ttl=wait + 1, wait=wait):
        stored = line_item_get_stored(resource_link=resource_link, domain_code=domain_code)
        if stored is not None:
            return stored
        data, created_by_tool = _platform_line_item(
            resource_link=resource_link,
            label=label,
            tag=tag,
            resource_id=resource_id,
            score_maximum=score_maximum,
            is_primary=is_primary,
        )
        return _line_item_store(
            resource_link=resource_link,
            domain_code=domain_code,
            data=data,
            created_by_tool=created_by_tool,
        )
