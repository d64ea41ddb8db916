from __future__ import annotations

from django.urls import path

from lti_tool.grading import views

app_name = "grading"

urlpatterns = [
    path("cours/<int:context_pk>/moderation/", views.moderation_queue, name="moderation_queue"),
    path(
        "cours/<int:context_pk>/resultats/<int:result_pk>/",
        views.result_moderate,
        name="result_moderate",
    ),
    path("cours/<int:context_pk>/envois/", views.passback_board, name="passback_board"),
    path(
        "cours/<int:context_pk>/envois/<int:passback_pk>/renvoyer/",
        views.passback_resend,
        name="passback_resend",
    ),
    path(
        "cours/<int:context_pk>/envois/renvoyer-les-echecs/",
        views.passbacks_resend_failed,
        name="passbacks_resend_failed",
    ),
    path(
        "activite/<int:resource_link_pk>/mes-resultats/",
        views.student_results,
        name="student_results",
    ),
]
