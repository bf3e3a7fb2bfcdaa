"""Page forms: shapes only; every rule is checked by the services."""

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from postbank import policy
from transfers.models import BANK_CHOICES, Transfer
from transfers.selectors import RESULT_STATUSES


class TransferForm(forms.Form):
    from_account = forms.ChoiceField(label=_("From account"))
    bank_code = forms.ChoiceField(label=_("Bank"), choices=BANK_CHOICES, initial=policy.BANK_CODE)
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    amount = forms.CharField(
        label=_("Amount (won)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    sender_memo = forms.CharField(
        label=_("Memo on my statement"), required=False, max_length=policy.TRANSFER_MEMO_MAX
    )
    recipient_memo = forms.CharField(
        label=_("Memo on the recipient's statement"),
        required=False,
        max_length=policy.TRANSFER_MEMO_MAX,
    )
    # One-time token: the idempotency key of this form, so a double submit prepares once.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_account"].choices = [
            (a.number, f"{a.formatted_number} ({a.balance:,})") for a in accounts
        ]
        if not self.is_bound:
            self.initial["form_token"] = secrets.token_urlsafe(24)


class ConfirmForm(forms.Form):
    account_password = forms.CharField(
        label=_("Account password (4 digits)"),
        max_length=4,
        strip=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    challenge_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    security_answer = forms.CharField(
        label=_("Security code"),
        max_length=8,
        strip=True,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=8192)
    sms_code = forms.CharField(
        label=_("SMS code"),
        required=False,
        max_length=6,
        strip=True,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )


class SearchForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *[(s, Transfer.Status(s).label) for s in RESULT_STATUSES]],
    )
    recipient = forms.CharField(
        label=_("Recipient name or account"), required=False, max_length=100
    )
