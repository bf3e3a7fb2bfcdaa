"""The site menu, modelled on the seed's "All menus".

Each app lists its entries in its AppConfig as `menu = [MenuEntry(...)]`; an app lists
an entry only once its page works, so the menu never shows a placeholder.
"""

from dataclasses import dataclass

from django.apps import apps
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SECTIONS = [
    ("search", _("Search")),
    ("transfer", _("Transfer")),
    ("fx", _("F/X")),
    ("certificate", _("Joint certificate")),
]


@dataclass(frozen=True)
class MenuEntry:
    section: str
    label: str | Promise
    url_name: str
    order: int = 0
    public: bool = False  # shown to visitors who are not logged in


def menu_for(user) -> list[dict]:
    logged_in = bool(user and user.is_authenticated)
    entries: dict[str, list[MenuEntry]] = {key: [] for key, _label in SECTIONS}
    for config in apps.get_app_configs():
        for entry in getattr(config, "menu", ()):
            if entry.section in entries and (logged_in or entry.public):
                entries[entry.section].append(entry)
    return [
        {
            "key": key,
            "label": label,
            "entries": [{"label": e.label, "url": reverse(e.url_name)}
                        for e in sorted(entries[key], key=lambda e: e.order)],
        }
        for key, label in SECTIONS
        if entries[key]
    ]
