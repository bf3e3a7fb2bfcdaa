from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostbankConfig(AppConfig):
    name = "postbank"
    verbose_name = _("Postbank")
