"""The certificate center's refusals, each with a stable problem-details code."""

from django.utils.translation import gettext_lazy as _

from postbank.errors import InvalidInput, NotFound, Refused


class CaNotReady(Refused):
    code = "ca_not_initialised"
    status = 503
    title = _("The certificate center is not available yet.")


class InvalidCsr(InvalidInput):
    code = "invalid_csr"
    title = _("The certificate request is not a valid PKCS#10 request.")


class WeakKey(InvalidInput):
    code = "key_not_rsa2048"
    title = _("The key must be an RSA key of 2048 bits.")


class WrongSubject(InvalidInput):
    code = "wrong_subject"
    title = _("The name in the certificate request is not yours.")


class KeyAlreadyCertified(Refused):
    code = "key_reused"
    title = _("This key already has a certificate; generate a new key.")


class InvalidCertificate(InvalidInput):
    code = "invalid_certificate"
    title = _("The certificate could not be read.")


class InvalidSignature(Refused):
    code = "invalid_signature"
    title = _("The electronic signature is not valid.")


class CertificateNotUsable(Refused):
    code = "certificate_not_usable"
    title = _("The certificate is expired, suspended or revoked.")


class UnknownIssuer(Refused):
    code = "unknown_issuer"
    title = _("The certificate was not issued by a trusted certification authority.")


class PolicyNotAccepted(Refused):
    code = "policy_not_accepted"
    title = _("This kind of certificate cannot be registered.")


class ChallengeInvalid(Refused):
    code = "challenge_invalid"
    title = _("The login challenge is unknown, expired or already used.")


class CertificateExists(Refused):
    code = "certificate_exists"
    title = _("You already have a certificate of this type; reissue or renew it instead.")


class NoCertificate(NotFound):
    code = "certificate_not_found"
    title = _("No such certificate.")


class RenewalWindow(Refused):
    code = "renewal_not_open"
    title = _("A certificate can be renewed from 30 days before its expiry until the expiry day.")


class HoldExpired(Refused):
    code = "hold_expired"
    title = _("A suspended certificate can be restored within 6 months only.")


class WrongState(Refused):
    code = "certificate_wrong_state"
    title = _("The certificate is not in a state that allows this.")


class CorporateOnPhone(Refused):
    code = "corporate_not_on_phone"
    title = _("Corporate certificates cannot be issued in Smart Banking.")


class SmartBankingRequired(Refused):
    code = "smart_banking_required"
    title = _(
        "Only Smart Banking subscribers can be issued a certificate on a smartphone: sign up "
        "for Smart Banking in the app first."
    )


class CopyCodeWrong(Refused):
    code = "copy_code_wrong"
    title = _("The authentication number is not correct.")


class CopyExpired(Refused):
    code = "copy_expired"
    title = _("The authentication number has expired or was already used.")


class ExtraVerificationNeeded(Refused):
    code = "extra_verification_needed"
    title = _("Use a designated device or enter the code sent to your phone by SMS.")


class DeviceLimit(Refused):
    code = "device_limit"
    title = _("At most 5 devices can be designated.")


class LastDeviceAtCounter(Refused):
    code = "last_device_at_counter"
    title = _("The last designated device can only be removed at a post office counter.")


class CorporateForBusinessOnly(Refused):
    code = "corporate_certificate_business_only"
    title = _(
        "The general-purpose corporate certificate is issued only to business customers "
        "(sole proprietors)."
    )


class CertificateHeld(Refused):
    code = "certificate_held"
    title = _(
        "The certificate is suspended. Restore it before reissuing it, or discard it and "
        "apply for a new one."
    )
