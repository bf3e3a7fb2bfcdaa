from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from postbank.menu import MenuEntry


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")
    menu: list = [
        MenuEntry("certificate", _("Security center"), "enrollment:security", order=90),
        MenuEntry("certificate", _("Internet banking registration"), "enrollment:register",
                  order=95, public=True),
    ]

    def ready(self):
        from enrollment import schema  # noqa: F401  (registers the API auth scheme)
