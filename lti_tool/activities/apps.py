from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "lti_tool.activities"
    label = "activities"
    verbose_name = "Activités"
