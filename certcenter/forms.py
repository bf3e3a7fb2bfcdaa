from django import forms
from django.utils.translation import gettext_lazy as _

from certcenter.models import Certificate
from certcenter.services import DISCARD_REASONS


class IdentityFields(forms.Form):
    user_id = forms.CharField(label=_("User ID"), max_length=150)
    rrn = forms.CharField(
        label=_("Resident registration number (or business number)"),
        max_length=20,
        widget=forms.PasswordInput(render_value=False),
    )
    account = forms.ChoiceField(label=_("Account"))
    account_password = forms.CharField(
        label=_("Account password (4 digits)"),
        max_length=4,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric"}),
    )
    security_challenge_id = forms.CharField(required=False, widget=forms.HiddenInput)
    security_answer = forms.CharField(
        label=_("Security code"),
        max_length=8,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.number, a.formatted_number) for a in accounts]


class IssueForm(IdentityFields):
    cert_type = forms.ChoiceField(label=_("Certificate type"), choices=Certificate.Type.choices)
    medium = forms.ChoiceField(label=_("Issue to"), choices=Certificate.Medium.choices)
    replaces = forms.ChoiceField(label=_("Reissue (replace) certificate"), required=False)
    sms_code = forms.CharField(
        label=_("SMS code (if this device is not designated)"), required=False, max_length=6
    )
    csr = forms.CharField(widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, live=(), business: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not business:
            # The corporate certificate is for business customers only (the service refuses).
            self.fields["cert_type"].choices = [
                choice
                for choice in Certificate.Type.choices
                if choice[0] != Certificate.Type.GENERAL_CORPORATE
            ]
        self.fields["replaces"].choices = [("", _("No: issue a new certificate"))] + [
            (c.serial, f"{c.get_cert_type_display()} · {c.serial[:12]}") for c in live
        ]


class RenewForm(forms.Form):
    serial = forms.CharField(widget=forms.HiddenInput)
    account = forms.ChoiceField(label=_("Account for the fee"))
    account_password = forms.CharField(
        label=_("Account password (4 digits)"),
        max_length=4,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric"}),
    )
    csr = forms.CharField(widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.number, a.formatted_number) for a in accounts]


class DiscardForm(forms.Form):
    serial = forms.CharField(widget=forms.HiddenInput)
    action = forms.ChoiceField(
        choices=[("discard", _("Discard")), ("hold", _("Suspend")), ("restore", _("Restore"))],
        widget=forms.HiddenInput,
    )
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[(r.value, r.label) for r in DISCARD_REASONS]
    )
    confirm = forms.BooleanField(
        label=_("I understand that a discarded certificate can no longer be used."), required=False
    )


class DeviceForm(forms.Form):
    label = forms.CharField(label=_("Device name"), max_length=50)
    sms_code = forms.CharField(label=_("SMS code"), required=False, max_length=6)


class ForeignForm(forms.Form):
    certificate = forms.CharField(widget=forms.HiddenInput)
    nonce = forms.CharField(widget=forms.HiddenInput)
    signature = forms.CharField(widget=forms.HiddenInput)
    sms_code = forms.CharField(
        label=_("SMS code (if this device is not designated)"), required=False, max_length=6
    )
