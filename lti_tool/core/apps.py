from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lti_tool.core"
    label = "core"
    verbose_name = "Atelier — noyau"
