from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from postbank.menu import MenuEntry


class CertcenterConfig(AppConfig):
    name = "certcenter"
    verbose_name = _("Certificate center")
    menu = [
        MenuEntry(
            "certificate", _("Certificate service information"), "certcenter:info", 10, public=True
        ),
        MenuEntry("certificate", _("Issue/reissue a certificate"), "certcenter:issue", 20),
        MenuEntry("certificate", _("Import a certificate"), "certcenter:copy-import", 30),
        MenuEntry("certificate", _("Export a certificate"), "certcenter:copy-export", 40),
        MenuEntry(
            "certificate", _("Register another institute's certificate"), "certcenter:foreign", 50
        ),
        MenuEntry("certificate", _("Renew a certificate"), "certcenter:renew", 60),
        MenuEntry("certificate", _("Discard a certificate"), "certcenter:discard", 70),
        MenuEntry(
            "certificate", _("Change/delete the certificate password"), "certcenter:password", 80
        ),
        MenuEntry(
            "certificate",
            _("Pre-consent/ change of certificate issuance"),
            "certcenter:devices",
            90,
        ),
        MenuEntry("certificate", _("My certificates"), "certcenter:list", 95),
        MenuEntry("certificate", _("Check my certificate"), "certcenter:sign-check", 97),
        MenuEntry(
            "certificate", _("Lift the dormancy suspension"), "certcenter:dormancy", 98, public=True
        ),
        MenuEntry("certificate", _("Certificate login"), "certcenter:login", 99, public=True),
    ]

    def ready(self) -> None:
        from certcenter.receivers import on_medium_lost
        from enrollment.signals import medium_lost

        medium_lost.connect(on_medium_lost, dispatch_uid="certcenter.on_medium_lost")
