from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")
    menu: list = []

    def ready(self):
        from enrollment import schema  # noqa: F401  (registers the API auth scheme)
