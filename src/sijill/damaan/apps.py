from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DamaanConfig(AppConfig):
    name = "sijill.damaan"
    verbose_name = _("Damaan: workers' social security")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_load_tables, sender=self)


def _load_tables(sender, using="default", **kwargs):
    """After every migrate: the shipped table versions not yet stored (a new version arrives with a release)."""
    from .tables import load_shipped_tables

    load_shipped_tables(using)
