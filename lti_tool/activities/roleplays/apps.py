from django.apps import AppConfig


class RolePlaysConfig(AppConfig):
    name = "lti_tool.activities.roleplays"
    label = "roleplays"
    verbose_name = "Jeux de rôle de co-animation"
