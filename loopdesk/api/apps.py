from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "loopdesk.api"
    label = "api"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  registers the periodic idempotency-key purge
