from django.apps import AppConfig


class DslConfig(AppConfig):
    name = "lti_tool.activities.dsl"
    label = "dsl"
    verbose_name = "Projets de développement social local"
