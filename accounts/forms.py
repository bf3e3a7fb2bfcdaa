import uuid

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, CashTransaction
from enrollment.models import Customer


class AccountOpenForm(forms.ModelForm):
    """Counter: open an account; the customer is found by name or user ID (autocomplete)."""

    password = forms.RegexField(label=_("Account password (4 digits)"), regex=r"^\d{4}$",
                                widget=forms.PasswordInput(render_value=False),
                                strip=False, max_length=4)
    password_again = forms.CharField(label=_("Account password again"), max_length=4,
                                     widget=forms.PasswordInput, strip=False)
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    class Meta:
        model = Account
        fields = ["owner", "subject"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget = AutocompleteSelect(
            Account._meta.get_field("owner"), admin.site)
        self.fields["owner"].queryset = Customer.objects.all()
        self.fields["request_key"].initial = uuid.uuid4().hex

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class CashForm(forms.Form):
    direction = forms.ChoiceField(label=_("Transaction"),
                                  choices=CashTransaction.Direction.choices)
    amount = forms.CharField(label=_("Amount (won)"), max_length=20)
    id_document = forms.ChoiceField(label=_("ID checked"),
                                    choices=[("", "---------"),
                                             *CashTransaction.IdDocument.choices])
    id_confirmed = forms.BooleanField(
        label=_("I checked the ID and the customer is the account holder or their agent"))
    memo = forms.CharField(label=_("Memo"), max_length=100, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class StatusForm(forms.Form):
    action = forms.ChoiceField(choices=[("freeze", _("Freeze")), ("unfreeze", _("Unfreeze")),
                                        ("close", _("Close"))])
    reason = forms.CharField(label=_("Reason"), max_length=200)
