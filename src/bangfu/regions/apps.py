from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "bangfu.regions"
    label = "regions"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Regions"
