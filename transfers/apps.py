from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from postbank.menu import MenuEntry


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = _("Transfers")
    menu = [
        MenuEntry("transfer", _("Real time transfer"), "transfers:new", order=10),
        MenuEntry("transfer", _("Search transfer result"), "transfers:results", order=20),
    ]
