from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "lti_tool.api"
    label = "api"
