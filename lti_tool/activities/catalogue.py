"""The catalogue trainers place activities from (deep linking) or bind a link with.

Reads only. Published activities, latest version of each, searchable and filterable by
kind, training unit and domain; each entry carries what a trainer needs to choose
(summary, domains assessed with their titles, time, size of the content).

The catalogue is small (tens of activities): text search and the domain filter run in
Python, so that search ignores case and accents on SQLite as on PostgreSQL and the
domain filter needs no JSON lookup the database may lack.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from lti_tool.activities.models import KIND_CHOICES, ActivityVersion, Placement
from lti_tool.activities.placements import CUSTOM_PARAMETER, PlacementOptions, activity_reference
from lti_tool.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from lti_tool.grading.frameworks.selectors import framework_domains, framework_get
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.models import ResourceLink

# Every placement's own grade column is /20 (domain.md §4.4); the other domains' columns
# are created through AGS at first need with the same maximum.
SCORE_MAXIMUM = 20


@dataclass(frozen=True)
class DomainInfo:
    code: str
    title: str
    short_title: str

    @property
    def label(self) -> str:
        """ "DC2 Intervention sociale" (the AGS line-item label's domain part)."""
        return f"{self.code} {self.short_title or self.title}".strip()


@dataclass(frozen=True)
class CatalogueEntry:
    version: ActivityVersion
    kind: str
    kind_label: str
    domains: tuple[DomainInfo, ...]
    decisions: int | None
    endings: int | None

    @property
    def pk(self) -> int:
        return int(self.version.pk)

    @property
    def reference(self) -> str:
        return activity_reference(self.version)

    @property
    def first_domain(self) -> DomainInfo | None:
        return self.domains[0] if self.domains else None


@dataclass(frozen=True)
class CatalogueFilters:
    kinds: tuple[tuple[str, str], ...]
    training_units: tuple[str, ...]
    domains: tuple[DomainInfo, ...]


@dataclass(frozen=True)
class CatalogueQuery:
    text: str = ""
    kind: str = ""
    training_unit: str = ""
    domain: str = ""

    @property
    def active(self) -> bool:
        return bool(self.text or self.kind or self.training_unit or self.domain)


def _fold(text: str) -> str:
    """Lower case without accents, for a search that forgives both."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _latest_versions() -> list[ActivityVersion]:
    latest = ActivityVersion.objects.filter(activity=OuterRef("activity")).order_by("-version")
    return list(
        ActivityVersion.objects.filter(pk=Subquery(latest.values("pk")[:1]))
        .select_related("activity")
        .order_by("activity__title", "activity__slug")
    )


def _domain_titles(
    versions: Iterable[ActivityVersion],
) -> dict[tuple[str, int], dict[str, DomainInfo]]:
    titles: dict[tuple[str, int], dict[str, DomainInfo]] = {}
    for version in versions:
        key = (version.framework_code, version.framework_version)
        if key in titles:
            continue
        try:
            framework = framework_get(code=key[0], version=key[1])
        except NotFound:
            titles[key] = {}
            continue
        titles[key] = {
            d.code: DomainInfo(d.code, d.title_fr, d.short_title_fr)
            for d in framework_domains(framework=framework)
        }
    return titles


def content_size(content: Any) -> tuple[int | None, int | None]:
    """(decision points, endings) when the content says so; other kinds: (None, None).

    Read defensively: only scenarios have nodes today, and content of kinds still to come
    must not break the catalogue.
    """
    nodes = content.get("nodes") if isinstance(content, dict) else None
    if isinstance(nodes, dict):
        nodes = list(nodes.values())
    if not isinstance(nodes, list):
        return None, None
    kinds = [n.get("kind") for n in nodes if isinstance(n, dict)]
    return kinds.count("decision") or None, kinds.count("ending") or None


def _entry(version: ActivityVersion, titles: dict[str, DomainInfo]) -> CatalogueEntry:
    kind_labels = dict(KIND_CHOICES)
    codes = [str(code) for code in version.domains if isinstance(code, str)]
    decisions, endings = content_size(version.content)
    return CatalogueEntry(
        version=version,
        kind=version.activity.kind,
        kind_label=str(kind_labels.get(version.activity.kind, version.activity.kind)),
        domains=tuple(titles.get(code, DomainInfo(code, "", "")) for code in codes),
        decisions=decisions,
        endings=endings,
    )


def _matches(entry: CatalogueEntry, query: CatalogueQuery) -> bool:
    version = entry.version
    if query.kind and entry.kind != query.kind:
        return False
    if query.training_unit and version.training_unit != query.training_unit:
        return False
    if query.domain and query.domain not in {d.code for d in entry.domains}:
        return False
    if query.text:
        haystack = _fold(" ".join((version.title, version.activity.title, version.summary)))
        return all(word in haystack for word in _fold(query.text).split())
    return True


def catalogue_entries(*, query: CatalogueQuery | None = None) -> list[CatalogueEntry]:
    """Published activities (latest version of each) matching ``query``, by title."""
    versions = _latest_versions()
    titles = _domain_titles(versions)
    entries = [_entry(v, titles[(v.framework_code, v.framework_version)]) for v in versions]
    return catalogue_entries_matching(entries=entries, query=query or CatalogueQuery())


def catalogue_entries_matching(
    *, entries: Sequence[CatalogueEntry], query: CatalogueQuery
) -> list[CatalogueEntry]:
    return [entry for entry in entries if _matches(entry, query)]


def catalogue_filters(*, entries: Sequence[CatalogueEntry]) -> CatalogueFilters:
    """The filter choices: every kind, and the units and domains that occur."""
    units = sorted({e.version.training_unit for e in entries if e.version.training_unit})
    domains: dict[str, DomainInfo] = {}
    for entry in entries:
        for domain in entry.domains:
            domains.setdefault(domain.code, domain)
    return CatalogueFilters(
        kinds=tuple((str(k), str(label)) for k, label in KIND_CHOICES),
        training_units=tuple(units),
        domains=tuple(domains[code] for code in sorted(domains)),
    )


def catalogue_entries_chosen(*, version_pks: Sequence[int]) -> list[CatalogueEntry]:
    """The chosen entries, in the order chosen; an unknown or outdated one is refused."""
    by_pk = {entry.pk: entry for entry in catalogue_entries()}
    missing = [pk for pk in version_pks if pk not in by_pk]
    if missing:
        raise ValidationFailed(
            _(
                "Une activité choisie n'est plus disponible dans le catalogue (une nouvelle "
                "version a peut-être été publiée) : rechargez le catalogue et choisissez à "
                "nouveau."
            ),
            code="catalogue_choice_unknown",
        )
    return [by_pk[pk] for pk in version_pks]


# --- what a content item says (Deep Linking 2.0 §3.2) ------------------------------------


def placed_title(entry: CatalogueEntry) -> str:
    """Moodle names the activity's own grade column after the activity (its lineItem
    label is dropped): the title says which domain that column holds (moodle.md)."""
    first = entry.first_domain
    title = entry.version.title
    return f"{title} — {first.code}"[:255] if first else title[:255]


def line_item_label(entry: CatalogueEntry, domain: DomainInfo) -> str:
    """ "<activity> — DCn <short title>" (design.md §4)."""
    return f"{entry.version.title} — {domain.label}"[:250]


def line_item_resource_id(entry: CatalogueEntry, domain: DomainInfo) -> str:
    """ "<activity slug>:DCn" (design.md §4): the same for every version of the activity."""
    return f"{entry.version.activity.slug}:{domain.code}"


def placement_custom(entry: CatalogueEntry, options: PlacementOptions) -> dict[str, str]:
    """The custom parameters the launch reads back to create the Placement."""
    return {CUSTOM_PARAMETER: entry.reference, **options.as_custom()}


# --- binding a link a teacher added by hand ----------------------------------------------


def resource_link_needs_binding(*, resource_link_pk: int) -> bool:
    """True when the link has no placement and no ``activity`` custom parameter to bind
    it from: the trainer must choose its activity in the catalogue."""
    link = ResourceLink.objects.filter(pk=resource_link_pk).first()
    if link is None or Placement.objects.filter(resource_link=link).exists():
        return False
    return not str(link.custom.get(CUSTOM_PARAMETER, "")).strip()


def trainer_resource_link_get(*, launch: LtiLaunch, resource_link_pk: int) -> ResourceLink:
    """A link of the course the trainer launched from, else 403/404."""
    if not launch.is_trainer or launch.context_id is None:
        raise PermissionDenied(
            _("Le choix de l'activité d'un lien est réservé aux formateur·rices du cours.")
        )
    link = ResourceLink.objects.select_related("context").filter(pk=resource_link_pk).first()
    if link is None:
        raise NotFound(_("Cette activité n'est pas connue d'Atelier."))
    if link.context_id != launch.context_id:
        raise PermissionDenied(
            _("Ce lien appartient à un autre cours que celui de votre lancement.")
        )
    return link


def placement_current(*, resource_link: ResourceLink) -> Placement | None:
    return (
        Placement.objects.select_related("activity_version__activity")
        .filter(resource_link=resource_link)
        .first()
    )
