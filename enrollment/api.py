import dataclasses

from django.core import signing
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.applications import (
    RegistrationIdentityFailed,
    registration_complete,
    registration_identify,
    smart_banking_subscribe,
)
from enrollment.models import ApiToken, Application
from enrollment.security import SecurityChallenge, medium_report_lost, security_challenge_issue
from enrollment.selectors import customer_of_request, security_overview
from enrollment.services import (
    api_token_issue,
    api_token_revoke,
    customer_limits,
    customer_limits_lower,
    customer_login,
)
from postbank import policy

REGISTRATION_SALT = "enrollment.registration"


class ChallengeSerializer(serializers.Serializer):
    """A security medium challenge: for a card, the two code numbers (1-35) whose first and
    last two digits are asked; for an OTP, only the kind."""

    kind = serializers.CharField()
    challenge_id = serializers.CharField(allow_null=True)
    first_index = serializers.IntegerField(allow_null=True)
    second_index = serializers.IntegerField(allow_null=True)

    class Meta:
        ref_name = "EnrollmentChallenge"


def _challenge_body(challenge: SecurityChallenge) -> dict:
    return {"kind": challenge.kind, "challenge_id": challenge.id,
            "first_index": challenge.first_index, "second_index": challenge.second_index}


class TokenApi(APIView):
    """Smart Banking login: user ID and password for a bearer token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class TokenInputSerializer(serializers.Serializer):
        user_id = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        idle_seconds = serializers.IntegerField()

    @extend_schema(request=TokenInputSerializer, responses={201: TokenOutputSerializer})
    def post(self, request):
        data = self.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = customer_login(request=request, user_id=data.validated_data["user_id"],
                              password=data.validated_data["password"], channel="api")
        key = api_token_issue(user=user)
        return Response({"token": key, "idle_seconds": policy.SESSION_IDLE_SECONDS},
                        status=201)


class TokenRevokeApi(APIView):
    """Smart Banking logout: the token in use stops working."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            api_token_revoke(token=request.auth)
        return Response(status=204)


class MeApi(APIView):
    class MeOutputSerializer(serializers.Serializer):
        user_id = serializers.CharField()
        name = serializers.CharField()

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        customer = getattr(request.user, "customer", None)
        return Response({"user_id": request.user.username,
                         "name": customer.name if customer else request.user.get_full_name()})


class SmartBankingApi(APIView):
    """Smart Banking sign-up from the app. GET: whether the customer has signed up and, if
    not, the security medium's challenge to answer; POST: the answer signs them up (once;
    a repeat answers the same). Only subscribers get a certificate issued to the phone."""

    class SmartBankingInputSerializer(serializers.Serializer):
        challenge_id = serializers.CharField(max_length=64, required=False, allow_null=True)
        security_answer = serializers.CharField(max_length=16)

    class SmartBankingOutputSerializer(serializers.Serializer):
        subscribed = serializers.BooleanField()
        since = serializers.DateTimeField(allow_null=True)
        challenge = ChallengeSerializer(required=False)

    @extend_schema(responses=SmartBankingOutputSerializer)
    def get(self, request):
        customer = customer_of_request(request)
        since = customer.smart_banking_since
        body = {"subscribed": since is not None, "since": since}
        if since is None:
            body["challenge"] = _challenge_body(security_challenge_issue(customer=customer))
        return Response(self.SmartBankingOutputSerializer(body).data)

    @extend_schema(request=SmartBankingInputSerializer,
                   responses={201: SmartBankingOutputSerializer})
    def post(self, request):
        data = self.SmartBankingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        since = smart_banking_subscribe(customer=customer_of_request(request), channel="api",
                                        challenge_id=data.validated_data.get("challenge_id"),
                                        security_answer=data.validated_data["security_answer"])
        body = {"subscribed": True, "since": since}
        return Response(self.SmartBankingOutputSerializer(body).data, status=201)


class RegistrationIdentifyApi(APIView):
    """Online registration, step 1: application reference (or RRN), a designated account and
    its password. Any mismatch answers the same problem; the token is good for 10 minutes."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class RegistrationIdentifyInputSerializer(serializers.Serializer):
        reference_or_rrn = serializers.CharField(max_length=20)
        account_number = serializers.CharField(max_length=20)
        account_password = serializers.CharField(max_length=4, trim_whitespace=False)

    class RegistrationIdentifyOutputSerializer(serializers.Serializer):
        registration_token = serializers.CharField()
        register_before = serializers.DateTimeField()
        challenge = ChallengeSerializer()

    @extend_schema(request=RegistrationIdentifyInputSerializer,
                   responses={200: RegistrationIdentifyOutputSerializer})
    def post(self, request):
        data = self.RegistrationIdentifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = registration_identify(channel="api", **data.validated_data)
        challenge = security_challenge_issue(customer=application.customer)
        token = signing.dumps({"application": application.pk}, salt=REGISTRATION_SALT)
        return Response({"registration_token": token,
                         "register_before": application.registration_deadline,
                         "challenge": _challenge_body(challenge)})


class RegistrationCompleteApi(APIView):
    """Step 2: the answer to the challenge, the user ID, the password and the terms."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class RegistrationCompleteInputSerializer(serializers.Serializer):
        registration_token = serializers.CharField()
        challenge_id = serializers.CharField(required=False, allow_blank=True)
        security_answer = serializers.CharField(max_length=6)
        user_id = serializers.CharField(max_length=20)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        terms_accepted = serializers.BooleanField()

    class RegistrationCompleteOutputSerializer(serializers.Serializer):
        user_id = serializers.CharField()

    @extend_schema(request=RegistrationCompleteInputSerializer,
                   responses={201: RegistrationCompleteOutputSerializer})
    def post(self, request):
        data = self.RegistrationCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            payload = signing.loads(values["registration_token"], salt=REGISTRATION_SALT,
                                    max_age=policy.SESSION_IDLE_SECONDS)
            application = Application.objects.select_related("customer").get(
                pk=payload["application"])
        except (signing.BadSignature, Application.DoesNotExist, KeyError, TypeError):
            raise RegistrationIdentityFailed() from None
        user = registration_complete(
            application=application, challenge_id=values.get("challenge_id") or None,
            security_answer=values["security_answer"], user_id=values["user_id"],
            password=values["password"], terms_accepted=values["terms_accepted"],
            channel="api")
        return Response({"user_id": user.username}, status=201)


class SecurityCenterApi(APIView):
    """The customer's grade, limits and security media."""

    class SecurityMediumOutputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        serial = serializers.CharField()
        status = serializers.CharField()
        issued_at = serializers.DateTimeField()

    class SecurityCenterOutputSerializer(serializers.Serializer):
        grade = serializers.CharField(allow_null=True)
        per_transfer = serializers.IntegerField()
        per_day = serializers.IntegerField()
        own_per_transfer = serializers.IntegerField(allow_null=True)
        own_per_day = serializers.IntegerField(allow_null=True)
        minor_limited = serializers.BooleanField()
        suspension = serializers.CharField()
        media = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=SecurityCenterOutputSerializer)
    def get(self, request):
        overview = security_overview(customer=customer_of_request(request))
        body = dataclasses.asdict(overview)
        body["media"] = [self.SecurityMediumOutputSerializer(m).data for m in overview.media]
        return Response(body)


class LossReportApi(APIView):
    """Reports a lost security card or OTP: it stops at once."""

    class LossReportInputSerializer(serializers.Serializer):
        medium = serializers.ChoiceField(choices=["security_card", "otp"])

    class LossReportOutputSerializer(serializers.Serializer):
        medium = serializers.CharField()
        status = serializers.CharField()

    @extend_schema(request=LossReportInputSerializer, responses={201: LossReportOutputSerializer})
    def post(self, request):
        data = self.LossReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_of_request(request)
        medium_report_lost(customer=customer, medium=data.validated_data["medium"],
                           channel="api")
        return Response({"medium": data.validated_data["medium"], "status": "lost"},
                        status=201)


class OwnLimitsApi(APIView):
    """The customer lowers (or restores up to the grade's default) their own limits."""

    class OwnLimitsInputSerializer(serializers.Serializer):
        per_transfer = serializers.IntegerField(min_value=1, max_value=policy.MAX_AMOUNT_WON)
        per_day = serializers.IntegerField(min_value=1, max_value=policy.MAX_AMOUNT_WON)

    class OwnLimitsOutputSerializer(serializers.Serializer):
        per_transfer = serializers.IntegerField()
        per_day = serializers.IntegerField()

    @extend_schema(request=OwnLimitsInputSerializer, responses=OwnLimitsOutputSerializer)
    def put(self, request):
        data = self.OwnLimitsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_of_request(request)
        customer_limits_lower(customer=customer, channel="api", actor=request.user,
                              **data.validated_data)
        per_transfer, per_day = customer_limits(customer=customer)
        return Response({"per_transfer": per_transfer, "per_day": per_day})
