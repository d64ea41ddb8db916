"""Loading framework files into the database (the only writer of framework rows).

Idempotent: a second run with the same files changes nothing (not even ``updated_at``); a
changed label is updated in place. Codes are immutable once shipped (domain.md §9.1): the
loader refuses to drop a code that is in the database, to move a competence to another
domain or to change a domain's kind; such a change needs a new framework version.

The data migration passes its historical ``apps`` so the loader works on the models as they
were when the migration was written; everything here uses plain ORM calls for that reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.db import transaction
from django.utils.translation import gettext as _

from lti_tool.grading.frameworks.constants import DATA_DIR
from lti_tool.grading.frameworks.schema import (
    CompetenceSpec,
    DomainSpec,
    FrameworkDataError,
    FrameworkSpec,
    framework_parse,
)


@dataclass
class LoadReport:
    files: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{kind} {counter[kind]}" for kind in KINDS if counter[kind]) or "0"

        return _(
            "Référentiels %(frameworks)s — créés : %(created)s ; mis à jour : %(updated)s ; "
            "inchangés : %(unchanged)s."
        ) % {
            "frameworks": ", ".join(self.frameworks) or "—",
            "created": counts(self.created),
            "updated": counts(self.updated),
            "unchanged": counts(self.unchanged),
        }


KINDS = ("framework", "domain", "competence", "indicator")


def framework_files(*, directory: Path = DATA_DIR) -> list[Path]:
    """Every framework file shipped in ``directory``, in name order."""
    return sorted(path for path in directory.glob("*.yaml") if path.is_file())


def frameworks_parse(*, paths: Iterable[Path]) -> list[FrameworkSpec]:
    """Read and check every file; all errors of all files are reported together."""
    specs: list[FrameworkSpec] = []
    errors: list[str] = []
    seen: dict[tuple[str, int], str] = {}
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            errors.append(
                _("%(path)s : fichier illisible (%(error)s).") % {"path": path, "error": error}
            )
            continue
        try:
            spec = framework_parse(text, source=Path(path).name)
        except FrameworkDataError as error:
            errors.extend(error.errors)
            continue
        key = (spec.code, spec.version)
        if key in seen:
            errors.append(
                _(
                    "%(path)s : le référentiel %(code)s version %(version)d est déjà défini dans %(other)s."
                )
                % {
                    "path": Path(path).name,
                    "code": spec.code,
                    "version": spec.version,
                    "other": seen[key],
                }
            )
            continue
        seen[key] = Path(path).name
        specs.append(spec)
    if errors:
        raise FrameworkDataError(errors)
    return specs


@transaction.atomic
def frameworks_load(*, paths: Iterable[Path] | None = None, apps: Any = None) -> LoadReport:
    """Load framework files (all of ``data/*.yaml`` by default) into the database."""
    registry = apps if apps is not None else global_apps
    path_list = list(paths) if paths is not None else framework_files()
    specs = frameworks_parse(paths=path_list)
    report = LoadReport(files=[Path(path).name for path in path_list])
    for spec in specs:
        _framework_apply(spec=spec, registry=registry, report=report)
        report.frameworks.append(f"{spec.code} v{spec.version}")
    return report


def _upsert(
    model: Any,
    *,
    existing: Any,
    lookup: dict[str, Any],
    values: dict[str, Any],
    kind: str,
    report: LoadReport,
) -> Any:
    """Create, or update only the fields that differ (so a no-op load writes nothing)."""
    if existing is None:
        report.created[kind] += 1
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    if not changed:
        report.unchanged[kind] += 1
        return existing
    for name in changed:
        setattr(existing, name, values[name])
    existing.save(update_fields=[*changed, "updated_at"])
    report.updated[kind] += 1
    return existing


def _framework_apply(*, spec: FrameworkSpec, registry: Any, report: LoadReport) -> None:
    framework_model = registry.get_model("frameworks", "Framework")
    domain_model = registry.get_model("frameworks", "Domain")
    competence_model = registry.get_model("frameworks", "Competence")
    indicator_model = registry.get_model("frameworks", "Indicator")

    lookup = {"code": spec.code, "version": spec.version}
    framework = _upsert(
        framework_model,
        existing=framework_model.objects.filter(**lookup).first(),
        lookup=lookup,
        values={
            "title_fr": spec.title_fr,
            "title_en": spec.title_en,
            "valid_from": spec.valid_from,
            "valid_until": spec.valid_until,
            "valid_from_date": spec.valid_from_date,
            "valid_until_date": spec.valid_until_date,
            "sources": list(spec.sources),
            "status": spec.status,
            "source_file": spec.source,
        },
        kind="framework",
        report=report,
    )
    domains = {row.code: row for row in domain_model.objects.filter(framework=framework)}
    competences = {
        row.code: row
        for row in competence_model.objects.filter(framework=framework).select_related("domain")
    }
    indicators = {
        row.code: row
        for row in indicator_model.objects.filter(framework=framework).select_related("competence")
    }
    _shipped_codes_check(spec=spec, domains=domains, competences=competences, indicators=indicators)

    for domain_spec in spec.domains:
        domain = _upsert(
            domain_model,
            existing=domains.get(domain_spec.code),
            lookup={"framework": framework, "code": domain_spec.code},
            values=_domain_values(domain_spec),
            kind="domain",
            report=report,
        )
        for competence_spec in domain_spec.competences:
            competence = _upsert(
                competence_model,
                existing=competences.get(competence_spec.code),
                lookup={"framework": framework, "code": competence_spec.code},
                values={"domain": domain, **_competence_values(competence_spec)},
                kind="competence",
                report=report,
            )
            for indicator_spec in competence_spec.indicators:
                _upsert(
                    indicator_model,
                    existing=indicators.get(indicator_spec.code),
                    lookup={"framework": framework, "code": indicator_spec.code},
                    values={
                        "competence": competence,
                        "label_fr": indicator_spec.label_fr,
                        "label_en": indicator_spec.label_en,
                        "official": indicator_spec.official,
                        "order": indicator_spec.order,
                    },
                    kind="indicator",
                    report=report,
                )


def _domain_values(spec: DomainSpec) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "title_fr": spec.title_fr,
        "title_en": spec.title_en,
        "short_title_fr": spec.short_title_fr,
        "hours": spec.hours,
        "ects": spec.ects,
        "rncp_blocs": list(spec.rncp_blocs),
        "title_uncertain": spec.title_uncertain,
        "uncertainty_note": spec.uncertainty_note,
        "order": spec.order,
    }


def _competence_values(spec: CompetenceSpec) -> dict[str, Any]:
    return {
        "rncp_code": spec.rncp_code,
        "label_fr": spec.label_fr,
        "label_en": spec.label_en,
        "bts_validated": spec.bts_validated,
        "socle": list(spec.socle),
        "official": spec.official,
        "note": spec.note,
        "order": spec.order,
    }


def _shipped_codes_check(
    *,
    spec: FrameworkSpec,
    domains: dict[str, Any],
    competences: dict[str, Any],
    indicators: dict[str, Any],
) -> None:
    """Codes already in the database stay where they are (domain.md §9.1)."""
    name = f"{spec.code} v{spec.version} ({spec.source})"
    errors: list[str] = []
    in_file = {code for _level, code in spec.all_codes()}
    removed = sorted((set(domains) | set(competences) | set(indicators)) - in_file)
    if removed:
        errors.append(
            _(
                "%(name)s : les codes %(codes)s sont déjà livrés et ne figurent plus dans le fichier. "
                "Un code livré ne se supprime pas : remettez-le, ou créez une nouvelle version du référentiel."
            )
            % {"name": name, "codes": ", ".join(removed)}
        )
    for domain_spec in spec.domains:
        shipped = domains.get(domain_spec.code)
        if shipped is not None and shipped.kind != domain_spec.kind:
            errors.append(
                _(
                    "%(name)s, ligne %(line)d : le domaine %(code)s est livré de type %(old)s ; il ne peut pas devenir %(new)s."
                )
                % {
                    "name": name,
                    "line": domain_spec.line,
                    "code": domain_spec.code,
                    "old": shipped.kind,
                    "new": domain_spec.kind,
                }
            )
        for competence_spec in domain_spec.competences:
            row = competences.get(competence_spec.code)
            if row is not None and row.domain.code != domain_spec.code:
                errors.append(
                    _(
                        "%(name)s, ligne %(line)d : la compétence %(code)s est livrée dans %(old)s ; elle ne peut pas passer dans %(new)s."
                    )
                    % {
                        "name": name,
                        "line": competence_spec.line,
                        "code": competence_spec.code,
                        "old": row.domain.code,
                        "new": domain_spec.code,
                    }
                )
            for indicator_spec in competence_spec.indicators:
                shipped_indicator = indicators.get(indicator_spec.code)
                if (
                    shipped_indicator is not None
                    and shipped_indicator.competence.code != competence_spec.code
                ):
                    errors.append(
                        _(
                            "%(name)s, ligne %(line)d : l'indicateur %(code)s est livré sous %(old)s ; il ne peut pas passer sous %(new)s."
                        )
                        % {
                            "name": name,
                            "line": indicator_spec.line,
                            "code": indicator_spec.code,
                            "old": shipped_indicator.competence.code,
                            "new": competence_spec.code,
                        }
                    )
    if errors:
        raise FrameworkDataError(errors)
