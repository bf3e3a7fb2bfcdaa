"""Certificate center API (/api/v1/certcenter/...): one APIView per operation, used by the
Smart Banking app and by the pages' scripts (session + CSRF)."""

import base64
import binascii

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from certcenter import copy as copy_ops
from certcenter import devices, foreign, services
from certcenter.selectors import certificates_for_customer
from enrollment.selectors import customer_of_request
from postbank.errors import InvalidInput


class Base64Field(serializers.CharField):
    """Binary data as standard base64 text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 16_384)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("not base64") from None


class CertificateOut(serializers.Serializer):
    serial = serializers.CharField()
    cert_type = serializers.CharField()
    medium = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField()
    revocation_reason = serializers.CharField()
    fee = serializers.IntegerField()
    der = serializers.SerializerMethodField()

    def get_der(self, obj) -> str:
        return base64.b64encode(bytes(obj.der)).decode()


class IdentityIn(serializers.Serializer):
    user_id = serializers.CharField(max_length=150)
    rrn_or_business_number = serializers.CharField(max_length=20)
    account_number = serializers.CharField(max_length=20)
    account_password = serializers.CharField(max_length=8)
    security_challenge_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True
    )
    security_answer = serializers.CharField(max_length=8)

    def proof(self) -> services.IdentityProof:
        d = self.validated_data
        return services.IdentityProof(
            user_id=d["user_id"],
            rrn_or_business_number=d["rrn_or_business_number"],
            account_number=d["account_number"],
            account_password=d["account_password"],
            security_challenge_id=d.get("security_challenge_id") or None,
            security_answer=d["security_answer"],
        )


class CertificateListApi(APIView):
    @extend_schema(responses=CertificateOut(many=True), operation_id="certificates_list")
    def get(self, request):
        rows = certificates_for_customer(customer=customer_of_request(request))[:50]
        return Response(CertificateOut(rows, many=True).data)


class CertificateIssueApi(APIView):
    """Issue from a PKCS#10 request (PEM or base64 DER); the key stays on the device."""

    class CertificateIssueIn(IdentityIn):
        csr = serializers.CharField(max_length=16_384)
        cert_type = serializers.CharField(max_length=20)
        medium = serializers.ChoiceField(choices=["pc", "phone"], default="pc")
        # Checked by postbank.idempotency, so every key problem answers with its own code.
        idempotency_key = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(request=CertificateIssueIn, responses={201: CertificateOut})
    def post(self, request):
        data = self.CertificateIssueIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        certificate = services.certificate_issue(
            customer=customer_of_request(request),
            csr=d["csr"],
            cert_type=d["cert_type"],
            proof=data.proof(),
            idempotency_key=d.get("idempotency_key", ""),
            medium=d["medium"],
            channel="api",
        )
        return Response(CertificateOut(certificate).data, status=201)


class CertificateReissueApi(APIView):
    """Free; keeps the expiry; needs a designated device or the SMS code."""

    class CertificateReissueIn(IdentityIn):
        csr = serializers.CharField(max_length=16_384)
        # Checked by postbank.idempotency, so every key problem answers with its own code.
        idempotency_key = serializers.CharField(required=False, allow_blank=True)
        sms_code = serializers.CharField(max_length=6, required=False, allow_blank=True)

    @extend_schema(request=CertificateReissueIn, responses={201: CertificateOut})
    def post(self, request, serial: str):
        customer = customer_of_request(request)
        data = self.CertificateReissueIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        devices.extra_verification(
            customer=customer,
            device_token=request.COOKIES.get(devices.DEVICE_COOKIE),
            sms_code=d.get("sms_code", ""),
            purpose="reissue",
        )
        certificate = services.certificate_reissue(
            customer=customer,
            serial=serial,
            csr=d["csr"],
            proof=data.proof(),
            idempotency_key=d.get("idempotency_key", ""),
            channel="api",
        )
        return Response(CertificateOut(certificate).data, status=201)


class CertificateRenewApi(APIView):
    class CertificateRenewIn(serializers.Serializer):
        csr = serializers.CharField(max_length=16_384)
        account_number = serializers.CharField(max_length=20)
        account_password = serializers.CharField(max_length=8)
        # Checked by postbank.idempotency, so every key problem answers with its own code.
        idempotency_key = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(request=CertificateRenewIn, responses={201: CertificateOut})
    def post(self, request, serial: str):
        data = self.CertificateRenewIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        certificate = services.certificate_renew(
            customer=customer_of_request(request),
            serial=serial,
            csr=d["csr"],
            account_number=d["account_number"],
            account_password=d["account_password"],
            idempotency_key=d.get("idempotency_key", ""),
            channel="api",
        )
        return Response(CertificateOut(certificate).data, status=201)


class CertificateDiscardApi(APIView):
    class CertificateDiscardIn(serializers.Serializer):
        reason = serializers.CharField(max_length=32)

    @extend_schema(request=CertificateDiscardIn, responses=CertificateOut)
    def post(self, request, serial: str):
        data = self.CertificateDiscardIn(data=request.data)
        data.is_valid(raise_exception=True)
        certificate = services.certificate_revoke(
            customer=customer_of_request(request),
            serial=serial,
            reason=data.validated_data["reason"],
        )
        return Response(CertificateOut(certificate).data)


class CertificateHoldApi(APIView):
    @extend_schema(request=None, responses=CertificateOut)
    def post(self, request, serial: str):
        certificate = services.certificate_hold(
            customer=customer_of_request(request), serial=serial
        )
        return Response(CertificateOut(certificate).data)


class CertificateRestoreApi(APIView):
    @extend_schema(request=None, responses=CertificateOut)
    def post(self, request, serial: str):
        certificate = services.certificate_restore(
            customer=customer_of_request(request), serial=serial
        )
        return Response(CertificateOut(certificate).data)


class ChallengeOut(serializers.Serializer):
    nonce = serializers.CharField()
    signed_text = serializers.CharField()
    expires_at = serializers.DateTimeField()


class LoginChallengeApi(APIView):
    """A single-use nonce to sign with the certificate (login)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={201: ChallengeOut})
    def post(self, request):
        challenge = services.login_challenge_issue()
        return Response(
            {
                "nonce": challenge.nonce,
                "signed_text": services.login_signed_bytes(challenge.nonce).decode(),
                "expires_at": challenge.expires_at,
            },
            status=201,
        )


class CertificateLoginApi(APIView):
    """Smart Banking login with the certificate: returns a bearer token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class CertificateLoginIn(serializers.Serializer):
        nonce = serializers.CharField(max_length=64)
        certificate = serializers.CharField(max_length=16_384)
        signature = Base64Field()

    class CertificateLoginOut(serializers.Serializer):
        token = serializers.CharField()
        serial = serializers.CharField()

    @extend_schema(request=CertificateLoginIn, responses={201: CertificateLoginOut})
    def post(self, request):
        from enrollment.services import api_token_issue

        data = self.CertificateLoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        certificate = services.certificate_login(
            nonce=d["nonce"], certificate=d["certificate"], signature=d["signature"]
        )
        token = api_token_issue(user=certificate.customer.user)
        return Response({"token": token, "serial": certificate.serial}, status=201)


class DormancyLiftChallengeApi(APIView):
    """Lifting a dormancy suspension, step 0: a single-use nonce to sign with the
    certificate (no login: a dormant customer cannot log in)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={201: ChallengeOut}, operation_id="dormancy_challenge")
    def post(self, request):
        challenge = services.dormancy_lift_challenge_issue()
        return Response(
            {
                "nonce": challenge.nonce,
                "signed_text": services.login_signed_bytes(challenge.nonce).decode(),
                "expires_at": challenge.expires_at,
            },
            status=201,
        )


class DormancySecurityChallengeOut(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.CharField(allow_null=True)
    first_index = serializers.IntegerField(allow_null=True)
    second_index = serializers.IntegerField(allow_null=True)


class DormancyLiftCertificateApi(APIView):
    """Step 1: the signed nonce and the certificate; answers the ticket for step 2 and the
    security medium's challenge."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class DormancyCertificateIn(serializers.Serializer):
        nonce = serializers.CharField(max_length=64)
        certificate = serializers.CharField(max_length=16_384)
        signature = Base64Field()

    class DormancyCertificateOut(serializers.Serializer):
        ticket = serializers.CharField()
        expires_at = serializers.DateTimeField()
        serial = serializers.CharField()
        security_challenge = DormancySecurityChallengeOut()

    @extend_schema(request=DormancyCertificateIn, responses={201: DormancyCertificateOut})
    def post(self, request):
        data = self.DormancyCertificateIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        start = services.dormancy_lift_start(
            nonce=d["nonce"], certificate=d["certificate"], signature=d["signature"], channel="api"
        )
        return Response(
            {
                "ticket": start.ticket,
                "expires_at": start.expires_at,
                "serial": start.certificate.serial,
                "security_challenge": DormancySecurityChallengeOut(start.challenge).data,
            },
            status=201,
        )


class DormancyLiftApi(APIView):
    """Step 2: the security medium's answer; the dormancy suspension is lifted and the
    customer can log in again."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class DormancyLiftIn(serializers.Serializer):
        ticket = serializers.CharField(max_length=64)
        security_challenge_id = serializers.CharField(
            max_length=64, required=False, allow_blank=True, allow_null=True
        )
        security_answer = serializers.CharField(max_length=8)

    class DormancyLiftOut(serializers.Serializer):
        lifted = serializers.BooleanField()

    @extend_schema(request=DormancyLiftIn, responses={200: DormancyLiftOut})
    def post(self, request):
        data = self.DormancyLiftIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        services.dormancy_lift_with_certificate(
            ticket=d["ticket"],
            challenge_id=d.get("security_challenge_id") or None,
            answer=d["security_answer"],
            channel="api",
        )
        return Response({"lifted": True})


class CopyStartApi(APIView):
    """Phone side: opens a copy session and returns the 12-digit number to show (4-4-4).
    For an export the phone sends its encrypted key and certificate now."""

    class CopyStartIn(serializers.Serializer):
        direction = serializers.ChoiceField(choices=["import", "export"])
        encrypted_key = Base64Field(required=False)
        certificate = Base64Field(required=False)

    class CopyStartOut(serializers.Serializer):
        session = serializers.IntegerField()
        code = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(request=CopyStartIn, responses={201: CopyStartOut})
    def post(self, request):
        data = self.CopyStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        session, code = copy_ops.copy_start(
            customer=customer_of_request(request),
            direction=d["direction"],
            encrypted_key=d.get("encrypted_key"),
            certificate_der=d.get("certificate"),
        )
        return Response(
            {
                "session": session.pk,
                "code": copy_ops.code_format(code),
                "expires_at": session.expires_at,
            },
            status=201,
        )


class CopySessionApi(APIView):
    """Phone side of an import: the status, and the payload once (then it is wiped)."""

    class CopySessionOut(serializers.Serializer):
        status = serializers.CharField()
        encrypted_key = serializers.CharField(required=False)
        certificate = serializers.CharField(required=False)

    @extend_schema(responses=CopySessionOut)
    def get(self, request, session_id: int):
        customer = customer_of_request(request)
        status = copy_ops.copy_session_status(customer=customer, session_id=session_id)
        if status != "sent":
            return Response({"status": status})
        key, cert = copy_ops.copy_receive_on_phone(customer=customer, session_id=session_id)
        return Response(
            {
                "status": "received",
                "encrypted_key": base64.b64encode(key).decode(),
                "certificate": base64.b64encode(cert).decode(),
            }
        )


class CopySendApi(APIView):
    """PC side of an import: sends the encrypted key to the phone showing the number."""

    class CopySendIn(serializers.Serializer):
        code = serializers.CharField(max_length=20)
        encrypted_key = Base64Field()
        certificate = Base64Field()

    @extend_schema(request=CopySendIn, responses={204: None})
    def post(self, request):
        data = self.CopySendIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        copy_ops.copy_send(
            customer=customer_of_request(request),
            code=d["code"],
            encrypted_key=d["encrypted_key"],
            certificate_der=d["certificate"],
        )
        return Response(status=204)


class CopyReceiveApi(APIView):
    """PC side of an export: the number shown on the phone releases the key once."""

    class CopyReceiveIn(serializers.Serializer):
        code = serializers.CharField(max_length=20)

    class CopyReceiveOut(serializers.Serializer):
        encrypted_key = serializers.CharField()
        certificate = serializers.CharField()

    @extend_schema(request=CopyReceiveIn, responses=CopyReceiveOut)
    def post(self, request):
        data = self.CopyReceiveIn(data=request.data)
        data.is_valid(raise_exception=True)
        key, cert = copy_ops.copy_receive_on_pc(
            customer=customer_of_request(request), code=data.validated_data["code"]
        )
        return Response(
            {
                "encrypted_key": base64.b64encode(key).decode(),
                "certificate": base64.b64encode(cert).decode(),
            }
        )


class ForeignChallengeApi(APIView):
    """A nonce to sign with the other institution's key (proof of possession)."""

    @extend_schema(request=None, responses={201: ChallengeOut})
    def post(self, request):
        customer = customer_of_request(request)
        challenge = services.login_challenge_issue(
            purpose=foreign.FOREIGN_PURPOSE, customer=customer
        )
        return Response(
            {
                "nonce": challenge.nonce,
                "signed_text": foreign.foreign_signed_bytes(challenge.nonce).decode(),
                "expires_at": challenge.expires_at,
            },
            status=201,
        )


class ForeignRegisterApi(APIView):
    class ForeignRegisterIn(serializers.Serializer):
        certificate = serializers.CharField(max_length=16_384)
        intermediates = serializers.ListField(
            child=serializers.CharField(max_length=16_384), required=False, max_length=4
        )
        nonce = serializers.CharField(max_length=64)
        signature = Base64Field()
        sms_code = serializers.CharField(max_length=6, required=False, allow_blank=True)

    class ForeignRegisterOut(serializers.Serializer):
        issuer = serializers.CharField()
        subject = serializers.CharField()
        serial = serializers.CharField()
        policy_oid = serializers.CharField()
        not_after = serializers.DateTimeField()

    @extend_schema(request=ForeignRegisterIn, responses={201: ForeignRegisterOut})
    def post(self, request):
        customer = customer_of_request(request)
        data = self.ForeignRegisterIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        devices.extra_verification(
            customer=customer,
            device_token=request.COOKIES.get(devices.DEVICE_COOKIE),
            sms_code=d.get("sms_code", ""),
            purpose="foreign",
        )
        registered = foreign.foreign_certificate_register(
            customer=customer,
            certificate=d["certificate"],
            intermediates=d.get("intermediates", []),
            nonce=d["nonce"],
            signature=d["signature"],
        )
        return Response(self.ForeignRegisterOut(registered).data, status=201)


class SignatureCheckApi(APIView):
    """Checks an RSA-SHA256 signature made with one of the customer's certificates."""

    class SignatureCheckIn(serializers.Serializer):
        data = Base64Field()
        signature = Base64Field()

    class SignatureCheckOut(serializers.Serializer):
        serial = serializers.CharField()

    @extend_schema(request=SignatureCheckIn, responses=SignatureCheckOut)
    def post(self, request):
        data = self.SignatureCheckIn(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data["data"]:
            raise InvalidInput(code="empty_data")
        certificate = services.signature_verify(
            customer=customer_of_request(request),
            data=data.validated_data["data"],
            signature=data.validated_data["signature"],
        )
        return Response({"serial": certificate.serial})
