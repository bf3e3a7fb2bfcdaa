from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment import identity
from enrollment.models import Application, Customer, Document
from postbank.errors import PostbankError
from postbank.kst import kst_date


class LoginForm(forms.Form):
    user_id = forms.CharField(label=_("User ID"), max_length=150,
                              widget=forms.TextInput(attrs={"autocomplete": "username",
                                                            "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))


def _checked(normalize, value, **kwargs):
    try:
        return normalize(value, **kwargs)
    except PostbankError as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from None


_NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false"}


class ApplicationForm(forms.Form):
    """The teller's counter application; the service checks everything again."""

    name = forms.CharField(label=_("Real name"), max_length=100)
    rrn = forms.CharField(label=_("Resident registration number"), max_length=14,
                          help_text=_("YYMMDD-NNNNNNN; stored encrypted, shown masked."),
                          widget=forms.PasswordInput(attrs=_NO_AUTOFILL))
    phone = forms.CharField(label=_("Mobile phone"), max_length=13,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    customer_type = forms.ChoiceField(
        label=_("Customer type"),
        choices=[(Customer.Type.INDIVIDUAL, _("individual (a minor is recognised from the RRN)")),
                 (Customer.Type.SOLE_PROPRIETOR, _("sole proprietor"))])
    business_number = forms.CharField(label=_("Business registration number"), max_length=12,
                                      required=False)
    id_document_type = forms.ChoiceField(label=_("ID document checked"),
                                         choices=Application.IdDocument.choices)
    id_document_number = forms.CharField(label=_("ID document number"), max_length=32,
                                         widget=forms.TextInput(attrs=_NO_AUTOFILL))
    designated_accounts = forms.CharField(
        label=_("Designated withdrawal accounts"), required=False,
        help_text=_("One account number per line; leave empty to open a new ordinary "
                    "deposit account."),
        widget=forms.Textarea(attrs={"rows": 2}))
    new_account_password = forms.CharField(
        label=_("Password of the new account"), required=False, max_length=4, strip=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    authentication = forms.ChoiceField(label=_("Seal or signature"),
                                       choices=Application.Authentication.choices,
                                       widget=forms.RadioSelect)
    representation = forms.ChoiceField(label=_("Applied by"), required=False,
                                       choices=Application.Representation.choices)
    representative_name = forms.CharField(label=_("Legal representative's name"),
                                          max_length=100, required=False)
    documents = forms.MultipleChoiceField(label=_("Documents checked"),
                                          choices=Document.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    medium = forms.ChoiceField(label=_("Security medium to issue"),
                               choices=Application.Medium.choices, widget=forms.RadioSelect)

    def clean_rrn(self):
        return _checked(identity.rrn_normalize, self.cleaned_data["rrn"],
                        today=kst_date())

    def clean_phone(self):
        return _checked(identity.phone_normalize, self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if data.get("customer_type") == Customer.Type.SOLE_PROPRIETOR:
            try:
                data["business_number"] = _checked(identity.business_number_normalize,
                                                   data.get("business_number", ""))
            except forms.ValidationError as exc:
                self.add_error("business_number", exc)
        return data


class RrnSearchForm(forms.Form):
    rrn = forms.CharField(label=_("Resident registration number"), max_length=14,
                          widget=forms.PasswordInput(attrs=_NO_AUTOFILL))

    def clean_rrn(self):
        return _checked(identity.rrn_normalize, self.cleaned_data["rrn"],
                        today=kst_date())


class IdCheckForm(forms.Form):
    id_document_type = forms.ChoiceField(label=_("ID document checked"),
                                         choices=Application.IdDocument.choices)
    id_document_number = forms.CharField(label=_("ID document number"), max_length=32,
                                         widget=forms.TextInput(attrs=_NO_AUTOFILL))


class DeviceRemovalForm(IdCheckForm):
    """A designated device removed at the counter (the last one can only go here)."""

    device = forms.TypedChoiceField(label=_("Designated device"), coerce=int)
    field_order = ["device", "id_document_type", "id_document_number"]

    def __init__(self, *args, devices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].choices = devices


class LossReportForm(forms.Form):
    medium = forms.ChoiceField(label=_("Medium reported lost"),
                               choices=[("security_card", _("security card")),
                                        ("otp", _("OTP")),
                                        ("certificate", _("joint certificate"))])
    channel = forms.ChoiceField(label=_("Reported"),
                                choices=[("phone", _("by phone")),
                                         ("counter", _("at the counter"))],
                                widget=forms.RadioSelect)
    id_document_type = forms.ChoiceField(label=_("ID document checked"), required=False,
                                         choices=[("", "—"), *Application.IdDocument.choices])
    id_document_number = forms.CharField(label=_("ID document number"), max_length=32,
                                         required=False,
                                         widget=forms.TextInput(attrs=_NO_AUTOFILL))


class ReplacementForm(IdCheckForm):
    medium = forms.ChoiceField(label=_("Security medium to issue"),
                               choices=Application.Medium.choices, widget=forms.RadioSelect)


class RegistrationIdentifyForm(forms.Form):
    reference_or_rrn = forms.CharField(
        label=_("Application reference or resident registration number"), max_length=20,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}))
    account_number = forms.CharField(label=_("Designated withdrawal account"), max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                                   "autocomplete": "off"}))
    account_password = forms.CharField(
        label=_("Account password"), max_length=4, strip=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class RegistrationCompleteForm(forms.Form):
    security_answer = forms.CharField(label=_("Security code"), max_length=6,
                                      widget=forms.PasswordInput(
                                          attrs={"inputmode": "numeric", "autocomplete": "off"}))
    user_id = forms.CharField(label=_("User ID"), max_length=20,
                              help_text=_("6 to 20 lowercase letters and digits, starting "
                                          "with a letter."),
                              widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label=_("Login password"), strip=False,
                               help_text=_("At least 10 characters; not your user ID nor a "
                                           "common password."),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("Login password again"), strip=False,
                                     widget=forms.PasswordInput(
                                         attrs={"autocomplete": "new-password"}))
    terms = forms.BooleanField(label=_("I accept the terms of electronic financial "
                                       "transactions."), required=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class OnlineLossReportForm(forms.Form):
    medium = forms.ChoiceField(label=_("Medium lost"),
                               choices=[("security_card", _("security card")),
                                        ("otp", _("OTP"))],
                               widget=forms.RadioSelect)


class OwnLimitsForm(forms.Form):
    per_transfer = forms.IntegerField(label=_("Per transfer (won)"), min_value=1,
                                      widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    per_day = forms.IntegerField(label=_("Per day (won)"), min_value=1,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
