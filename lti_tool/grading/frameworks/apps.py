from django.apps import AppConfig


class FrameworksConfig(AppConfig):
    name = "lti_tool.grading.frameworks"
    label = "frameworks"
    verbose_name = "Référentiels de compétences"
