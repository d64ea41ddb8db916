from __future__ import annotations

from django.urls import path

from lti_tool.activities import catalogue_views, staff_views, views

app_name = "activities"

urlpatterns = [
    path("cours/<int:context_pk>/", views.course_home, name="course_home"),
    path("activite/<int:resource_link_pk>/", views.resource_link_page, name="resource_link"),
    # Scenario player (student) and the trainer's view of a placed scenario.
    path(
        "activite/<int:resource_link_pk>/tentatives/",
        views.attempt_start,
        name="attempt_start",
    ),
    path(
        "activite/<int:resource_link_pk>/tentatives/<int:number>/",
        views.attempt_play,
        name="attempt_play",
    ),
    path(
        "activite/<int:resource_link_pk>/tentatives/<int:number>/etape/",
        views.attempt_move,
        name="attempt_move",
    ),
    path(
        "activite/<int:resource_link_pk>/tentatives/<int:number>/etape/<int:step>/retour/",
        views.decision_feedback,
        name="decision_feedback",
    ),
    path(
        "activite/<int:resource_link_pk>/tentatives/<int:number>/bilan/",
        views.attempt_debrief,
        name="attempt_debrief",
    ),
    path(
        "cours/<int:context_pk>/scenarios/<int:resource_link_pk>/",
        views.scenario_overview,
        name="scenario_overview",
    ),
    path(
        "cours/<int:context_pk>/scenarios/<int:resource_link_pk>/etudiants/<int:student_pk>/",
        views.scenario_student,
        name="scenario_student",
    ),
    # Deep-linking catalogue and the binding of links added by hand (issue 6).
    path("catalogue/", catalogue_views.catalogue_page, name="catalogue"),
    path("catalogue/placer/", catalogue_views.catalogue_select, name="catalogue_select"),
    path("catalogue/annuler/", catalogue_views.catalogue_cancel, name="catalogue_cancel"),
    path(
        "activite/<int:resource_link_pk>/choisir/",
        catalogue_views.catalogue_bind,
        name="catalogue_bind",
    ),
    # Staff: publish scenario files, list activities and versions (issue 5).
    path("staff/activites/", staff_views.activity_index, name="staff_activities"),
]
