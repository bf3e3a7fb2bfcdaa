"""Page forms: shapes only; every rule is checked by the services."""

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from fx.models import Remittance
from fx.selectors import RESULT_STATUSES
from fx.services import RATE_KINDS, swift_countries


def _token_field():
    return forms.CharField(widget=forms.HiddenInput, max_length=64)


class _RemittanceForm(forms.Form):
    from_account = forms.ChoiceField(label=_("From account"))
    currency = forms.ChoiceField(label=_("Currency"))
    amount = forms.CharField(label=_("Amount"), max_length=24, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "autocomplete": "off"}))
    sender_name = forms.CharField(
        label=_("Your name in Latin letters (as in your passport)"), max_length=70,
        widget=forms.TextInput(attrs={"autocomplete": "name"}))
    beneficiary_name = forms.CharField(label=_("Beneficiary name (as held at the bank)"),
                                       max_length=70)
    beneficiary_address = forms.CharField(label=_("Beneficiary address"), max_length=140)
    purpose = forms.CharField(label=_("Purpose of remittance"), max_length=35)
    # One-time token: the idempotency key of this form, so a double submit quotes once.
    form_token = _token_field()

    def __init__(self, *args, accounts=(), currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_account"].choices = [
            (a.number, f"{a.formatted_number} ({a.balance:,})") for a in accounts]
        self.fields["currency"].choices = [(c.code, f"{c.code} {c.label}") for c in currencies]
        if not self.is_bound:
            self.initial["form_token"] = secrets.token_urlsafe(24)


class SwiftForm(_RemittanceForm):
    country = forms.ChoiceField(label=_("Country"))
    account = forms.CharField(label=_("Account number or IBAN"), max_length=42, widget=
                              forms.TextInput(attrs={"autocomplete": "off",
                                                     "autocapitalize": "characters"}))
    bic = forms.CharField(label=_("Bank BIC (SWIFT code)"), max_length=14, widget=
                          forms.TextInput(attrs={"autocomplete": "off",
                                                 "autocapitalize": "characters"}))
    charges = forms.ChoiceField(label=_("Charges"), choices=Remittance.Charges.choices,
                                initial=Remittance.Charges.SHA, widget=forms.RadioSelect)
    field_order = ["from_account", "currency", "amount", "sender_name", "beneficiary_name",
                   "beneficiary_address", "country", "account", "bic", "purpose", "charges"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "---"), *swift_countries()]


class EurogiroForm(_RemittanceForm):
    country = forms.ChoiceField(label=_("Partner country"))
    payout = forms.ChoiceField(label=_("Payout"), choices=Remittance.Payout.choices,
                               initial=Remittance.Payout.ACCOUNT, widget=forms.RadioSelect)
    account = forms.CharField(label=_("Postal account number (for payment into an account)"),
                              max_length=42, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off"}))
    beneficiary_name = forms.CharField(label=_("Beneficiary name (as held at the bank)"),
                                       max_length=35)
    beneficiary_address = forms.CharField(label=_("Beneficiary address"), max_length=105)
    field_order = ["from_account", "country", "currency", "amount", "sender_name",
                   "beneficiary_name", "beneficiary_address", "payout", "account", "purpose"]

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [(p.country, f"{p.country} {p.name}")
                                          for p in partners]


class ConfirmForm(forms.Form):
    account_password = forms.CharField(
        label=_("Account password (4 digits)"), max_length=4, strip=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    challenge_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    security_answer = forms.CharField(
        label=_("Security code"), max_length=8, strip=True,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=8192)


class SearchForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All")), *[(s, Remittance.Status(s).label) for s in RESULT_STATUSES]])


class NoticeForm(forms.Form):
    date = forms.DateField(label=_("Notice date"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))
    round = forms.IntegerField(label=_("Round"), required=False, min_value=1, max_value=999)


class ConverterForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"))
    direction = forms.ChoiceField(label=_("Convert"), choices=[
        ("to_krw", _("Foreign currency → won")), ("from_krw", _("Won → foreign currency"))],
        initial="to_krw")
    rate_kind = forms.ChoiceField(label=_("Rate"), choices=list(RATE_KINDS.items()),
                                  initial="cash_sell")
    amount = forms.CharField(label=_("Amount"), max_length=24, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "autocomplete": "off"}))

    def __init__(self, *args, currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(c.code, f"{c.code} {c.label}") for c in currencies]


class RatesCsvForm(forms.Form):
    file = forms.FileField(label=_("CSV file (currency,base,cash_buy,cash_sell,tt_send,"
                                   "tt_receive)"))


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Return reason"), max_length=100,
                             initial=_("Returned by the beneficiary's bank"))
