"""URLs of placed DPA cases, under /cas-dpa/<resource link>/ (issue 9)."""

from __future__ import annotations

from django.urls import URLPattern, path

from lti_tool.activities.dpa import views

app_name = "dpa"

_BASE = "cas-dpa/<int:resource_link_pk>/"

urlpatterns: list[URLPattern] = [
    path(_BASE, views.case_page, name="case"),
    path(f"{_BASE}enregistrer/", views.save, name="save"),
    path(f"{_BASE}remettre/", views.submit, name="submit"),
    # The alternative plan lives here, and only here: 403 before submission.
    path(f"{_BASE}apres-remise/", views.after, name="after"),
    path(f"{_BASE}reflexion/", views.reflect, name="reflect"),
    path(f"{_BASE}formateur/", views.trainer, name="trainer"),
    path(f"{_BASE}formateur/relectures/", views.peer_assign, name="peer_assign"),
    # A peer review: its reviewer only (403 for the author, the trainer, anyone else).
    path(f"{_BASE}relecture/<int:review_pk>/", views.peer_review, name="peer_review"),
    path(
        f"{_BASE}relecture/<int:review_pk>/enregistrer/",
        views.peer_review_save,
        name="peer_review_save",
    ),
    path(f"{_BASE}formateur/<int:submission_pk>/", views.grade, name="grade"),
    path(f"{_BASE}formateur/<int:submission_pk>/grille/", views.review_save, name="review_save"),
    path(
        f"{_BASE}formateur/<int:submission_pk>/valider/",
        views.review_validate,
        name="review_validate",
    ),
]
