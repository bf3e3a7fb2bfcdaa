from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from postbank.menu import MenuEntry


class FxConfig(AppConfig):
    name = "fx"
    verbose_name = _("Foreign exchange")
    menu = [
        MenuEntry("fx", _("Exchange rate inquiry"), "fx:rates", order=10, public=True),
        MenuEntry("fx", _("SWIFT remittance"), "fx:swift", order=20),
        MenuEntry("fx", _("Search SWIFT remittance"), "fx:swift-results", order=30),
        MenuEntry("fx", _("Eurogiro remittance"), "fx:eurogiro", order=40),
        MenuEntry("fx", _("Search Eurogiro remittance"), "fx:eurogiro-results", order=50),
    ]
