from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "bangfu.projects"
    label = "projects"
    verbose_name = "Projects and funds (项目与资金)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bangfu.projects.panels import household_panel
        from bangfu.registry.panels import register_household_panel

        register_household_panel("projects", household_panel, order=60)
