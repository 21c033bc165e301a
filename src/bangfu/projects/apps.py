from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "bangfu.projects"
    label = "projects"
    verbose_name = "Projects and funds (项目与资金)"
    default_auto_field = "django.db.models.BigAutoField"
