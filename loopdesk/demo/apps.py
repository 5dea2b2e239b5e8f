from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "loopdesk.demo"
    label = "demo"
    verbose_name = "Demo data and benchmarks"
