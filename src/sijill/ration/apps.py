from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RationConfig(AppConfig):
    name = "sijill.ration"
    verbose_name = _("Electronic ration card")

    def ready(self) -> None:
        from .linkage import declare

        declare()
