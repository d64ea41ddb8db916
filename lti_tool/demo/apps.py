from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "lti_tool.demo"
    label = "demo"
    verbose_name = "Plateforme LTI de démonstration"
