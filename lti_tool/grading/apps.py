from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "lti_tool.grading"
    label = "grading"
    verbose_name = "Évaluation par domaine de compétences"
