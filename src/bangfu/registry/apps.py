from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync(sender: AppConfig, **kwargs: Any) -> None:
    from bangfu.registry.reference import sync_reference_data

    sync_reference_data()


class RegistryConfig(AppConfig):
    name = "bangfu.registry"
    label = "registry"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Registry"

    def ready(self) -> None:
        post_migrate.connect(_sync, sender=self, dispatch_uid="bangfu.registry.sync_reference_data")
