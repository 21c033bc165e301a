from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bangfu.core"
    label = "bangfu_core"
    verbose_name = "Core"

    def ready(self) -> None:
        from bangfu.core import checks  # noqa: F401 - registers the deploy checks
