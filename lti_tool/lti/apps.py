from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "lti_tool.lti"
    label = "lti"
    verbose_name = "LTI 1.3"
