from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from postbank.menu import MenuEntry


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    menu: list = [
        MenuEntry("search", _("Account inquiry"), "accounts:list", order=10),
        MenuEntry("search", _("Transaction history"), "accounts:history", order=20),
    ]
