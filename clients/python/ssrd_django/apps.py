from django.apps import AppConfig


class SsrdConfig(AppConfig):
    name = "ssrd_django"
    label = "ssrd"
    verbose_name = "ssrd server-side rendering"
