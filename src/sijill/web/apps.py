from django.apps import AppConfig


class WebConfig(AppConfig):
    """Holds the shared templates, static files and translations."""

    name = "sijill.web"
    label = "web"
