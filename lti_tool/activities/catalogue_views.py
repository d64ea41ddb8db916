"""The catalogue: place activities (deep linking) or bind a link a teacher added by hand.

Thin views (style rule 1). Pages live inside the platform's iframe: the launch id rides in
the URL and forms carry the launch-bound CSRF token (shared/moodle.md, "Forms inside the
iframe"); the launch middleware lets the platform frame them ("Framing").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lti_tool.activities import catalogue
from lti_tool.activities.catalogue import CatalogueEntry, CatalogueQuery
from lti_tool.activities.models import Placement
from lti_tool.activities.placements import (
    MAX_ATTEMPTS,
    PlacementOptions,
    link_activity_kind,
    placement_bind,
)
from lti_tool.core.exceptions import PermissionDenied, ValidationFailed
from lti_tool.grading.rules import ActivityKind
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.deep_linking import (
    DeepLinkingSettings,
    LineItemSpec,
    ResourceLinkItem,
    deep_linking_response_build,
    deep_linking_settings,
)
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.middleware import LAUNCH_PARAM
from lti_tool.lti.models import ResourceLink
from lti_tool.lti.redirects import launch_redirect
from lti_tool.lti.selectors import lti_user_get

_QUERY_MAX = 200


# Kinds with trainer pages of their own: a trainer's launch on such a link lands there.
_TRAINER_HOMES = {
    ActivityKind.ROLEPLAY.value: "roleplays:setup",
    ActivityKind.DPA.value: "dpa:trainer",
    ActivityKind.DSL.value: "dsl:trainer",
}


def trainer_link_landing(launch: LtiLaunch) -> str | None:
    """Settings hook of the launch view (LTI_TRAINER_LINK_LANDING): a trainer launching a
    link with no activity yet opens the catalogue in binding mode; a role-play, DPA case or
    DSL project link opens its own trainer page (teams and roles, analyses, projects)."""
    if launch.resource_link_id is None:
        return None
    kind = link_activity_kind(resource_link_pk=launch.resource_link_id)
    if kind in _TRAINER_HOMES:
        return reverse(_TRAINER_HOMES[kind], args=[launch.resource_link_id])
    if not catalogue.resource_link_needs_binding(resource_link_pk=launch.resource_link_id):
        return None
    return reverse("activities:catalogue_bind", args=[launch.resource_link_id])


# --- reading the forms ----------------------------------------------------------------


def _query(request: HttpRequest) -> CatalogueQuery:
    def value(name: str) -> str:
        return request.GET.get(name, "").strip()[:_QUERY_MAX]

    return CatalogueQuery(
        text=value("q"), kind=value("type"), training_unit=value("unite"), domain=value("domaine")
    )


def _chosen_pks(post: QueryDict) -> list[int]:
    raw = post.getlist("choose")
    if not raw:
        raise ValidationFailed(
            _("Cochez au moins une activité avant de valider."), code="nothing_chosen"
        )
    if not all(value.isdigit() for value in raw):
        raise ValidationFailed(_("Le choix envoyé est illisible : rechargez le catalogue."))
    return list(dict.fromkeys(int(value) for value in raw))


def _due(raw: str, title: str) -> datetime | None:
    if not raw:
        return None
    try:
        due = datetime.fromisoformat(raw)
    except ValueError:
        due = None
    if due is None:
        raise ValidationFailed(
            _("« %(title)s » : la date limite « %(raw)s » est illisible (jj/mm/aaaa hh:mm).")
            % {"title": title, "raw": raw}
        )
    due = due if timezone.is_aware(due) else timezone.make_aware(due)
    if due <= timezone.now():
        raise ValidationFailed(
            _(
                "« %(title)s » : la date limite est déjà passée ; choisissez une date à venir ou laissez vide."
            )
            % {"title": title}
        )
    return due


def _options(post: QueryDict, entry: CatalogueEntry) -> PlacementOptions:
    title = entry.version.title
    attempts = post.get(f"attempts-{entry.pk}", "").strip() or "0"
    if not attempts.isdigit() or int(attempts) > MAX_ATTEMPTS:
        raise ValidationFailed(
            _(
                "« %(title)s » : le nombre de tentatives doit être un entier de 0 (illimité) à %(max)d."
            )
            % {"title": title, "max": MAX_ATTEMPTS}
        )
    counting = post.get(f"counting-{entry.pk}", Placement.Counting.FIRST)
    if counting not in Placement.Counting.values:
        raise ValidationFailed(
            _("« %(title)s » : choisissez quelle tentative compte (première, meilleure, dernière).")
            % {"title": title}
        )
    due = _due(post.get(f"due-{entry.pk}", "").strip(), title)
    return PlacementOptions(attempts_allowed=int(attempts), counting=counting, due_at=due)


def _choices(post: QueryDict) -> list[tuple[CatalogueEntry, PlacementOptions]]:
    entries = catalogue.catalogue_entries_chosen(version_pks=_chosen_pks(post))
    return [(entry, _options(post, entry)) for entry in entries]


def _content_item(entry: CatalogueEntry, options: PlacementOptions) -> ResourceLinkItem:
    first = entry.first_domain
    line_item = None
    if first is not None:
        # The placement's own column holds its first domain; the others come through AGS
        # at first need (design.md §4).
        line_item = LineItemSpec(
            score_maximum=catalogue.SCORE_MAXIMUM,
            label=catalogue.line_item_label(entry, first),
            tag=first.code,
            resource_id=catalogue.line_item_resource_id(entry, first),
        )
    return ResourceLinkItem(
        title=catalogue.placed_title(entry),
        text=entry.version.summary,
        custom=catalogue.placement_custom(entry, options),
        line_item=line_item,
    )


# --- pages ------------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    *,
    mode: str,
    launch: LtiLaunch,
    status: int = 200,
    error: str = "",
    **extra: Any,
) -> HttpResponse:
    query = _query(request)
    every = catalogue.catalogue_entries()
    entries = catalogue.catalogue_entries_matching(entries=every, query=query)
    chosen = {int(v) for v in request.POST.getlist("choose") if v.isdigit()}
    # One link carries one activity; a platform may also refuse several (§4.4.1).
    dl: DeepLinkingSettings | None = extra.get("dl")
    single = mode == "bind" or (dl is not None and not dl.accept_multiple)
    return render(
        request,
        "activities/catalogue/catalogue.html",
        {
            "launch": launch,
            "mode": mode,
            "entries": entries,
            "total": len(every),
            "filters": catalogue.catalogue_filters(entries=every),
            "query": query,
            "error": error,
            "chosen": chosen,
            "single": single,
            "counting_choices": Placement.Counting.choices,
            "max_attempts": MAX_ATTEMPTS,
            "score_maximum": catalogue.SCORE_MAXIMUM,
            "launch_param": LAUNCH_PARAM,
            # A due date typed without a zone is read in the tool's zone: say which.
            "time_zone": timezone.get_current_timezone_name(),
            **extra,
        },
        status=status,
    )


def _deep_linking_launch(request: HttpRequest) -> tuple[LtiLaunch, DeepLinkingSettings]:
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    settings = deep_linking_settings(launch)
    if not launch.is_trainer:
        raise PermissionDenied(_("Le catalogue est réservé aux formateur·rices du cours."))
    return launch, settings


@lti_launch_required
@require_GET
def catalogue_page(request: HttpRequest) -> HttpResponse:
    """Deep Linking 2.0 §4.4: where Moodle's « Sélectionner du contenu » lands."""
    launch, settings = _deep_linking_launch(request)
    return _page(request, mode="deep_linking", launch=launch, dl=settings)


@lti_launch_required
@launch_csrf_protect
@require_POST
def catalogue_select(request: HttpRequest) -> HttpResponse:
    """Sign the chosen activities into an LtiDeepLinkingResponse posted back to Moodle."""
    launch, settings = _deep_linking_launch(request)
    try:
        items = [_content_item(entry, options) for entry, options in _choices(request.POST)]
        answer = deep_linking_response_build(launch=launch, items=items)
    except ValidationFailed as error:
        return _page(
            request,
            mode="deep_linking",
            launch=launch,
            dl=settings,
            status=400,
            error=error.message,
        )
    return render(
        request, "activities/catalogue/return.html", {"answer": answer, "count": len(items)}
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def catalogue_cancel(request: HttpRequest) -> HttpResponse:
    """Deep Linking 2.0 §4.5: a response with no content item tells Moodle nothing was chosen."""
    launch, _settings = _deep_linking_launch(request)
    answer = deep_linking_response_build(
        launch=launch,
        items=[],
        msg=_("Sélection annulée : aucune activité Atelier n'a été ajoutée."),
    )
    return render(request, "activities/catalogue/return.html", {"answer": answer, "count": 0})


def _bound_redirect(launch: LtiLaunch, link: ResourceLink) -> HttpResponseRedirect:
    return launch_redirect(launch, "activities:course_home", link.context_id)


@lti_launch_required
@launch_csrf_protect
@require_http_methods(["GET", "POST"])
def catalogue_bind(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    """Choose the activity of a link a teacher added by hand (no « Sélectionner du
    contenu »); rebinding is refused by placement_bind once students have attempts."""
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    link = catalogue.trainer_resource_link_get(launch=launch, resource_link_pk=resource_link_pk)
    current = catalogue.placement_current(resource_link=link)
    if request.method == "GET":
        return _page(request, mode="bind", launch=launch, link=link, current=current)
    try:
        choices = _choices(request.POST)
        if len(choices) != 1:
            raise ValidationFailed(
                _("Un lien Moodle porte une seule activité : n'en cochez qu'une.")
            )
    except ValidationFailed as error:
        return _page(
            request,
            mode="bind",
            launch=launch,
            link=link,
            current=current,
            status=400,
            error=error.message,
        )
    ((entry, options),) = choices
    # A refused rebinding (students already have attempts) raises ValidationFailed: the
    # error middleware answers a 400 page that says why.
    placement_bind(
        resource_link=link,
        activity_version=entry.version,
        actor=lti_user_get(lti_user_pk=launch.lti_user_id),
        attempts_allowed=options.attempts_allowed,
        counting=options.counting,
        due_at=options.due_at,
    )
    return _bound_redirect(launch, link)
