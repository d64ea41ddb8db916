"""Publishing activities: the only writer of Activity and ActivityVersion rows.

A published version is immutable (attempts keep the version they ran; domain.md §4.5):
publishing content identical to the latest version returns that version; new content for an
existing slug becomes version N + 1 and leaves the older versions untouched.

Three kinds are published from files: scenarios (``atelier-scenario/1``), co-animation
role-play briefs (``atelier-roleplay/1``) and DPA cases (``atelier-dpa/1``); a file's
``format:`` says which.

Criteria are checked against the framework the content names, read through
``lti_tool.grading.frameworks.selectors``. The data migration passes its historical
``apps``; the framework is then read with plain queries on those models (same rules).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.db import transaction
from django.utils import timezone

from lti_tool.activities.content_yaml import (
    ContentInvalid,
    ContentProblem,
    FrameworkCodes,
    FrameworkLookup,
    yaml_format,
)
from lti_tool.activities.dpa import content as dpa_content
from lti_tool.activities.dpa.case import dpa_from_json
from lti_tool.activities.dsl import content as dsl_content
from lti_tool.activities.roleplays import content as roleplay_content
from lti_tool.activities.roleplays.content import roleplay_from_json
from lti_tool.activities.scenarios.content import scenario_parse, scenario_validate
from lti_tool.activities.scenarios.engine import scenario_from_json
from lti_tool.core.exceptions import Conflict, NotFound, ValidationFailed
from lti_tool.grading.frameworks.selectors import (
    competence_in_domain,
    framework_get,
    framework_tree,
)
from lti_tool.grading.rules import ActivityKind

SCENARIO_DATA_DIR = Path(__file__).resolve().parent / "scenarios" / "data"
ROLEPLAY_DATA_DIR = Path(__file__).resolve().parent / "roleplays" / "data"
DSL_DATA_DIR = Path(__file__).resolve().parent / "dsl" / "data"
DPA_DATA_DIR = Path(__file__).resolve().parent / "dpa" / "data"
UPLOAD_MAX_BYTES = 512 * 1024


def scenario_files(*, directory: Path = SCENARIO_DATA_DIR) -> list[Path]:
    """The scenario files shipped with Atelier, in name order."""
    return sorted(path for path in directory.glob("*.yaml") if path.is_file())


def roleplay_files(*, directory: Path = ROLEPLAY_DATA_DIR) -> list[Path]:
    """The role-play briefs shipped with Atelier, in name order."""
    return sorted(path for path in directory.glob("*.yaml") if path.is_file())


def dpa_files(*, directory: Path = DPA_DATA_DIR) -> list[Path]:
    """The DPA cases shipped with Atelier, in name order."""
    return sorted(path for path in directory.glob("*.yaml") if path.is_file())


def dsl_files(*, directory: Path = DSL_DATA_DIR) -> list[Path]:
    """The DSL project briefs shipped with Atelier, in name order."""
    return sorted(path for path in directory.glob("*.yaml") if path.is_file())


def shipped_files() -> list[Path]:
    """Every content file shipped with Atelier: scenarios, role-play briefs, DPA cases."""
    return [*scenario_files(), *roleplay_files(), *dsl_files(), *dpa_files()]


@dataclass(frozen=True)
class _ContentKind:
    parse: Callable[..., dict[str, Any]]
    validate: Callable[..., dict[str, Any]]
    read: Callable[[dict[str, Any]], Any]  # validated content → what a version records


_KINDS = {
    ActivityKind.SCENARIO: _ContentKind(scenario_parse, scenario_validate, scenario_from_json),
    ActivityKind.ROLEPLAY: _ContentKind(
        roleplay_content.roleplay_parse, roleplay_content.roleplay_validate, roleplay_from_json
    ),
    ActivityKind.DPA: _ContentKind(dpa_content.dpa_parse, dpa_content.dpa_validate, dpa_from_json),
    ActivityKind.DSL: _ContentKind(
        dsl_content.dsl_parse, dsl_content.dsl_validate, dsl_content.dsl_from_json
    ),
}


def content_kind(text: str) -> ActivityKind:
    """The kind a YAML file declares by its ``format:``. Anything that is not a role-play
    brief or a DPA case is read as a scenario, whose validator reports a missing or unknown
    format."""
    declared = yaml_format(text)
    if declared == dsl_content.FORMAT:
        return ActivityKind.DSL  # a DSL project brief (issue 9)
    if declared == roleplay_content.FORMAT:
        return ActivityKind.ROLEPLAY
    if declared == dpa_content.FORMAT:
        return ActivityKind.DPA
    return ActivityKind.SCENARIO


def content_parse(
    text: str, *, source_name: str, apps: Any = None
) -> tuple[ActivityKind, dict[str, Any]]:
    """The kind and validated content of a scenario or role-play file (line-precise
    ``ContentInvalid``), checked against the loaded frameworks."""
    kind = content_kind(text)
    content = _KINDS[kind].parse(
        text, source_name=source_name, framework_lookup=framework_lookup(apps)
    )
    return kind, content


def content_checksum(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (key order and YAML layout do not matter)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def framework_lookup(apps: Any = None) -> FrameworkLookup:
    """The codes of a framework version as the validator needs them; None if not loaded."""

    def lookup(code: str, version: int) -> FrameworkCodes | None:
        if apps is not None:
            return _historical_framework_codes(apps, code, version)
        try:
            framework = framework_get(code=code, version=version)
        except NotFound:
            return None
        domains: set[str] = set()
        competences: set[str] = set()
        for domain in framework_tree(framework=framework):
            domains.add(domain.code)
            competences.update(
                competence.code
                for competence in domain.competences.all()
                if competence_in_domain(competence.code, domain.code)
            )
        return FrameworkCodes(frozenset(domains), frozenset(competences))

    return lookup


def _historical_framework_codes(apps: Any, code: str, version: int) -> FrameworkCodes | None:
    framework_model = apps.get_model("frameworks", "Framework")
    framework = framework_model.objects.filter(code=code, version=version).first()
    if framework is None:
        return None
    domains = apps.get_model("frameworks", "Domain").objects.filter(framework=framework)
    competences = apps.get_model("frameworks", "Competence").objects.filter(framework=framework)
    return FrameworkCodes(
        frozenset(domains.values_list("code", flat=True)),
        frozenset(competences.values_list("code", flat=True)),
    )


@dataclass(frozen=True)
class Publication:
    version: Any  # ActivityVersion (current or historical model)
    created: bool


def _publish(
    *, kind: ActivityKind, content: dict[str, Any], source_name: str, apps: Any
) -> Publication:
    if kind not in _KINDS:
        raise ValidationFailed(
            "La publication par fichier ne concerne que les scénarios, les jeux de rôle et "
            "les cas DPA "
            f"(type « {kind} » refusé)."
        )
    content = _KINDS[kind].validate(
        content, source_name=source_name, framework_lookup=framework_lookup(apps)
    )
    registry = apps or global_apps
    activity_model = registry.get_model("activities", "Activity")
    version_model = registry.get_model("activities", "ActivityVersion")
    # Named "scenario" for history; a role-play brief reads the same fields.
    scenario = _KINDS[kind].read(content)
    checksum = content_checksum(content)
    activity, _ = activity_model.objects.get_or_create(
        slug=scenario.slug, defaults={"kind": kind.value, "title": scenario.title}
    )
    # One publisher at a time per activity: version numbers never collide.
    activity = activity_model.objects.select_for_update().get(pk=activity.pk)
    if activity.kind != kind.value:
        raise Conflict(
            f"L'identifiant « {scenario.slug} » est déjà pris par une activité d'un autre type "
            f"({activity.kind}). Choisissez un autre slug."
        )
    latest = version_model.objects.filter(activity=activity).order_by("-version").first()
    if latest is not None and latest.checksum == checksum:
        return Publication(latest, False)
    version = version_model.objects.create(
        activity=activity,
        version=(latest.version + 1) if latest is not None else 1,
        title=scenario.title,
        summary=scenario.summary,
        language=scenario.languages[0],
        training_unit=scenario.training_unit,
        framework_code=scenario.framework_code,
        framework_version=scenario.framework_version,
        domains=scenario.domains(),
        estimated_minutes=scenario.estimated_minutes,
        content=content,
        checksum=checksum,
        source_name=source_name[:300],
        published_at=timezone.now(),
    )
    if activity.title != scenario.title:
        activity.title = scenario.title
        activity.save(update_fields=["title", "updated_at"])
    return Publication(version, True)


@transaction.atomic
def activity_version_publish(
    *, kind: ActivityKind, content: dict[str, Any], source_name: str, apps: Any = None
) -> Any:
    """Publish validated content; idempotent on the checksum of the latest version."""
    return _publish(kind=kind, content=content, source_name=source_name, apps=apps).version


@transaction.atomic
def content_publish_text(*, text: str, source_name: str, apps: Any = None) -> Publication:
    """Parse a scenario or role-play file (kind from its ``format:``) and publish it."""
    kind, content = content_parse(text, source_name=source_name, apps=apps)
    return _publish(kind=kind, content=content, source_name=source_name, apps=apps)


def content_check_text(*, text: str, source_name: str) -> tuple[ActivityKind, dict[str, Any]]:
    """Validate a scenario or role-play file against the loaded frameworks, unpublished."""
    return content_parse(text, source_name=source_name)


@transaction.atomic
def scenario_publish_text(*, text: str, source_name: str, apps: Any = None) -> Publication:
    """Parse a scenario file (line-precise ``ContentInvalid``) and publish it."""
    content = scenario_parse(text, source_name=source_name, framework_lookup=framework_lookup(apps))
    return _publish(kind=ActivityKind.SCENARIO, content=content, source_name=source_name, apps=apps)


def scenario_check_text(*, text: str, source_name: str) -> dict[str, Any]:
    """Validate a scenario file against the loaded frameworks without publishing it."""
    return scenario_parse(text, source_name=source_name, framework_lookup=framework_lookup())


def scenario_upload_text(*, data: bytes, filename: str) -> str:
    """The text of an uploaded scenario file, or a refusal a person can act on."""
    if len(data) > UPLOAD_MAX_BYTES:
        raise ValidationFailed(
            f"Le fichier « {filename} » est trop volumineux ({len(data) // 1024} Ko ; "
            f"maximum {UPLOAD_MAX_BYTES // 1024} Ko)."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"Le fichier « {filename} » n'est pas un texte UTF-8 (octet illisible en position "
            f"{error.start}). Enregistrez-le en UTF-8 depuis votre éditeur."
        ) from error


@transaction.atomic
def activities_load(*, paths: Iterable[Path] | None = None, apps: Any = None) -> list[Any]:
    """Publish scenario and role-play files (default: the shipped scenarios, what
    migration 0002 publishes; ``shipped_files()`` adds the role-play briefs). All files are
    checked first and every problem of every file is reported together; nothing is
    published if one fails."""
    contents: list[tuple[str, ActivityKind, dict[str, Any]]] = []
    problems: list[ContentProblem] = []
    bad: list[str] = []
    for path in paths if paths is not None else scenario_files():
        name = Path(path).name
        try:
            text = Path(path).read_text(encoding="utf-8")
            kind, content = content_parse(text, source_name=name, apps=apps)
            contents.append((name, kind, content))
        except (OSError, UnicodeDecodeError) as error:
            bad.append(name)
            problems.append(ContentProblem(None, name, f"fichier illisible ({error})."))
        except ContentInvalid as error:
            bad.append(name)
            problems.extend(
                ContentProblem(p.line, f"{name}: {p.path}" if p.path else name, p.message)
                for p in error.problems
            )
    if problems:
        raise ContentInvalid(problems, source_name=", ".join(bad))
    return [
        _publish(kind=kind, content=content, source_name=name, apps=apps).version
        for name, kind, content in contents
    ]
