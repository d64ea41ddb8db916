from django.apps import AppConfig


class DpaConfig(AppConfig):
    name = "lti_tool.activities.dpa"
    label = "dpa"
    verbose_name = "Études de cas DPA"
