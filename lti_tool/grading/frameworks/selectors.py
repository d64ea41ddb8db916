"""Reads on competence frameworks, for the other apps and the staff screens."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Count, Model, Prefetch, QuerySet
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import NotFound
from lti_tool.grading.frameworks.models import Competence, Domain, Framework, Indicator

M = TypeVar("M", bound=Model)


def competence_in_domain(competence_code: str, domain_code: str) -> bool:
    """True when the competence code belongs to the domain (codes carry their domain: DC2.A3)."""
    # The loader enforces the prefix rule, so the code alone answers (domain.md §9.1).
    return bool(domain_code) and competence_code.startswith(domain_code + ".")


def framework_list() -> QuerySet[Framework]:
    return Framework.objects.annotate(
        domain_count=Count("domains", distinct=True),
        competence_count=Count("competences", distinct=True),
        indicator_count=Count("indicators", distinct=True),
    ).order_by("code", "-version")


def framework_get(*, code: str, version: int | None = None) -> Framework:
    """The framework ``code`` at ``version``, or its latest version when none is given."""
    frameworks = Framework.objects.filter(code=code)
    if version is not None:
        frameworks = frameworks.filter(version=version)
    framework = frameworks.order_by("-version").first()
    if framework is None:
        if version is None:
            message = _("Le référentiel « %(code)s » n'existe pas.") % {"code": code}
        else:
            message = _("Le référentiel « %(code)s » n'existe pas en version %(version)d.") % {
                "code": code,
                "version": version,
            }
        raise NotFound(message, extra={"code": code, "version": version})
    return framework


def framework_domains(*, framework: Framework) -> QuerySet[Domain]:
    return Domain.objects.filter(framework=framework).order_by("order", "code")


def framework_tree(*, framework: Framework) -> QuerySet[Domain]:
    """Domains with their competences and indicators prefetched, in file order."""
    indicators = Indicator.objects.order_by("order", "code")
    competences = Competence.objects.order_by("order", "code").prefetch_related(
        Prefetch("indicators", queryset=indicators)
    )
    return framework_domains(framework=framework).prefetch_related(
        Prefetch("competences", queryset=competences)
    )


def _in_framework(queryset: QuerySet[M], *, framework: Framework, code: str, what: str) -> M:
    found = queryset.filter(framework=framework, code=code).first()
    if found is None:
        raise NotFound(
            _("%(what)s « %(code)s » n'existe pas dans le référentiel %(framework)s.")
            % {"what": what, "code": code, "framework": framework},
            extra={"code": code, "framework": str(framework)},
        )
    return found


def domain_get(*, framework: Framework, code: str) -> Domain:
    return _in_framework(Domain.objects.all(), framework=framework, code=code, what=_("Le domaine"))


def competence_get(*, framework: Framework, code: str) -> Competence:
    competences = Competence.objects.select_related("domain")
    return _in_framework(competences, framework=framework, code=code, what=_("La compétence"))
