from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FxConfig(AppConfig):
    name = "fx"
    verbose_name = _("Foreign exchange")
    menu: list = []
