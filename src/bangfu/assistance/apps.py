from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "bangfu.assistance"
    label = "assistance"
    verbose_name = "Assistance (帮扶)"
    default_auto_field = "django.db.models.BigAutoField"
