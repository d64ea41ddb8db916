from __future__ import annotations

from django.urls import path

from lti_tool.activities import views

app_name = "activities"

urlpatterns = [
    path("cours/<int:context_pk>/", views.course_home, name="course_home"),
    path("activite/<int:resource_link_pk>/", views.resource_link_page, name="resource_link"),
]
