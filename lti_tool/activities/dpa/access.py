"""Who may see what in a placed DPA case (issue 9; design.md §6).

Every DPA view starts with ``dpa_access``: the request's launch becomes a ``Viewer`` of one
placement, or a refusal (401 without a launch, by the decorator; 403 for a trainer of
another course or a student who launched another link; 404 when the link holds no DPA
case). A student only ever reaches their own submission: views look it up from the viewer,
never from an id in the URL. A trainer reaches every submission of the placement.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from lti_tool.activities.dpa.case import DpaCase, dpa_from_json
from lti_tool.activities.models import ActivityVersion, Placement
from lti_tool.activities.placements import placement_bind_from_custom
from lti_tool.core.exceptions import NotFound, PermissionDenied
from lti_tool.grading.rules import ActivityKind
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.models import LtiUser, ResourceLink


@dataclass(frozen=True)
class Viewer:
    lti_user: LtiUser
    placement: Placement
    is_trainer: bool


def _placement(resource_link_pk: int, actor: LtiUser | None) -> Placement:
    link = ResourceLink.objects.filter(pk=resource_link_pk).first()
    if link is None:
        raise NotFound(_("Cette activité n'est pas connue d'Atelier."))
    # A link placed by Moodle's custom parameter is bound on its first launch, exactly as on
    # the scenario pages (placements.placement_bind_from_custom).
    placement = placement_bind_from_custom(resource_link=link, actor=actor)
    if placement is None or placement.activity_version.activity.kind != ActivityKind.DPA.value:
        raise NotFound(_("Cette activité n'est pas une étude de cas DPA (ou n'existe pas)."))
    return placement


def dpa_access(launch: LtiLaunch, *, resource_link_pk: int) -> Viewer:
    """The viewer of a placed DPA case from the launch, or a refusal.

    A trainer reaches any DPA case of the course they launched from; a student only the
    link they launched. Someone who is both is treated as a trainer.
    """
    lti_user = LtiUser.objects.get(pk=launch.lti_user_id)
    if launch.is_trainer:
        placement = _placement(resource_link_pk, lti_user)
        if placement.resource_link.context_id != launch.context_id:
            raise PermissionDenied(
                _(
                    "Cette étude de cas appartient à un autre cours : relancez Atelier depuis "
                    "le cours concerné."
                )
            )
        return Viewer(lti_user=lti_user, placement=placement, is_trainer=True)
    if launch.resource_link_id != resource_link_pk:
        raise PermissionDenied(_("Ce lancement ne donne pas accès à cette activité."))
    return Viewer(lti_user=lti_user, placement=_placement(resource_link_pk, None), is_trainer=False)


def trainer_required(viewer: Viewer) -> None:
    if not viewer.is_trainer:
        raise PermissionDenied(_("Cette page est réservée aux formateur·rices du cours."))


def student_required(viewer: Viewer) -> None:
    if viewer.is_trainer:
        raise PermissionDenied(
            _(
                "L'analyse du cas est réservée aux étudiant·es : le suivi du groupe est dans "
                "votre espace formateur."
            )
        )


def case_of(version: ActivityVersion, *, language: str = "fr") -> DpaCase:
    """The case of a published version, texts in ``language`` when it has them."""
    return dpa_from_json(version.content, language=language)
