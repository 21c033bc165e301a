from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "bangfu.assistance"
    label = "assistance"
    verbose_name = "Assistance (帮扶)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bangfu.assistance.panels import household_panel
        from bangfu.registry.panels import register_household_panel

        register_household_panel("assistance", household_panel, order=50)
