from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "sijill.exchange"
    verbose_name = _("Data exchange")

    def ready(self) -> None:
        from .social import declare

        declare()
