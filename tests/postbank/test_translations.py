"""Django merges every app's catalog into one per language: the same English text (and
context) has one Korean translation for the whole site, whichever app's catalog is read
first. Two catalogs that translate it differently mean one app shows another app's words
(a bank account labelled 계정, a remittance's order called a 이체 지시); a different
meaning needs its own context (pgettext, {% translate ... context ... %})."""

from collections import defaultdict
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

from accounts.models import Account
from certcenter.models import Certificate
from postbank.models import AuditEvent

CATALOG = Path("locale/ko/LC_MESSAGES/django.po")
APPS = ["enrollment", "accounts", "transfers", "certcenter", "fx"]
CATALOGS = {name: Path(settings.BASE_DIR) / name / CATALOG for name in APPS}
CATALOGS["project"] = Path(settings.BASE_DIR) / CATALOG


def test_one_translation_per_text_across_the_catalogs():
    translations = defaultdict(dict)
    for name, path in CATALOGS.items():
        for entry in polib.pofile(str(path)):
            if entry.translated() and not entry.obsolete:
                key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
                translations[key][name] = entry.msgstr or entry.msgstr_plural
    conflicts = {key: found for key, found in translations.items()
                 if len({str(value) for value in found.values()}) > 1}
    assert conflicts == {}


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = [
        (name, entry.msgid)
        for name, path in CATALOGS.items()
        for entry in polib.pofile(str(path))
        if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)
    ]
    assert untranslated == []


def test_words_with_two_meanings_keep_both():
    with translation.override("ko"):
        assert str(Account._meta.get_field("subject").verbose_name) == "과목"
        assert str(Certificate._meta.get_field("subject").verbose_name) == "주체"
        assert str(AuditEvent._meta.get_field("subject").verbose_name) == "대상"
        assert translation.gettext("Account") == "계좌"
        assert translation.pgettext("login", "Account") == "계정"
