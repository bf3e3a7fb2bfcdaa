from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    user_id = forms.CharField(label=_("User ID"), max_length=150,
                              widget=forms.TextInput(attrs={"autocomplete": "username",
                                                            "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))
