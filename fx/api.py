"""F/X API (/api/v1/fx/...): thin doors onto fx.services and fx.selectors.

Rates are public. A remittance moves money in two calls, like the pages: POST
/fx/remittances/ (with an Idempotency-Key header) checks everything and answers the quote
(TT send rate, won debit, fees) and the order bytes to sign; POST
/fx/remittances/{id}/confirm/ with the joint-certificate signature of `order`, the account
password and the security medium answer moves the money once (the same steps as a transfer).
"""

import base64

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.selectors import customer_of_request
from fx.models import Currency, EurogiroPartner, Remittance
from fx.selectors import (
    RESULT_STATUSES,
    notice_get,
    notice_rates,
    rate_history,
    remittance_get_for_customer,
    remittance_search_clean,
    remittances_search,
)
from fx.services import (
    RATE_KINDS,
    CurrencyNotOffered,
    NoRates,
    convert,
    currency_code_clean,
    notice_latest,
    remittance_confirm,
    remittance_order_bytes,
    remittance_quote,
)
from postbank.audit import channel_of, client_ip
from postbank.errors import NotFound, Refused
from postbank.idempotency import idempotency_key_clean
from transfers.services import signature_decode

PROBLEM = OpenApiResponse(description="Problem details (application/problem+json) with a `code`.")
PAGE_SIZE = 20
# Bounds of every page number and notice round the API takes (larger ones are 400, never
# an out-of-range database value).
PAGE_MAX = 10_000
ROUND_MAX = 999


class FxRateSerializer(serializers.Serializer):
    currency = serializers.CharField(source="currency_id")
    name = serializers.CharField(source="currency.label")
    unit = serializers.IntegerField(source="currency.unit",
                                    help_text="Rates are won per this many units (JPY: 100).")
    minor_units = serializers.IntegerField(source="currency.minor_units")
    base = serializers.DecimalField(max_digits=14, decimal_places=4)
    cash_buy = serializers.DecimalField(max_digits=14, decimal_places=4)
    cash_sell = serializers.DecimalField(max_digits=14, decimal_places=4)
    tt_send = serializers.DecimalField(max_digits=14, decimal_places=4)
    tt_receive = serializers.DecimalField(max_digits=14, decimal_places=4)


class FxNoticeSerializer(serializers.Serializer):
    notice_date = serializers.DateField()
    round = serializers.IntegerField()
    noticed_at = serializers.DateTimeField()
    rates = serializers.SerializerMethodField()

    @extend_schema_field(FxRateSerializer(many=True))
    def get_rates(self, notice):
        return FxRateSerializer(notice_rates(notice=notice), many=True).data


class FxRatesApi(APIView):
    """The latest rate notice, or the notice of a date (KST) and round."""

    permission_classes = [AllowAny]

    class FxRatesQuerySerializer(serializers.Serializer):
        date = serializers.DateField(required=False)
        round = serializers.IntegerField(min_value=1, max_value=ROUND_MAX, required=False,
                                         default=1)

    @extend_schema(parameters=[FxRatesQuerySerializer],
                   responses={200: FxNoticeSerializer, 404: PROBLEM, 409: PROBLEM},
                   operation_id="fx_rates")
    def get(self, request):
        query = self.FxRatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if data.get("date"):
            notice = notice_get(notice_date=data["date"], round=data["round"])
        else:
            notice = notice_latest()
            if notice is None:
                raise NoRates()
        return Response(FxNoticeSerializer(notice).data)


class FxConvertApi(APIView):
    """The converter: foreign currency → won or won → foreign currency at a rate of the
    latest notice, rounded down."""

    permission_classes = [AllowAny]

    class FxConvertQuerySerializer(serializers.Serializer):
        currency = serializers.CharField(max_length=3)
        amount = serializers.CharField(max_length=24, help_text="Decimal text, never a float.")
        direction = serializers.ChoiceField(choices=["to_krw", "from_krw"])
        rate_kind = serializers.ChoiceField(choices=list(RATE_KINDS), default="cash_sell")

    class FxConvertOutputSerializer(serializers.Serializer):
        currency = serializers.CharField()
        rate_kind = serializers.CharField()
        rate = serializers.DecimalField(max_digits=14, decimal_places=4)
        direction = serializers.CharField()
        foreign_amount = serializers.CharField(help_text="Decimal text in the currency.")
        foreign_minor = serializers.IntegerField(help_text="Minor units (ISO 4217).")
        won = serializers.IntegerField()

    @extend_schema(parameters=[FxConvertQuerySerializer],
                   responses={200: FxConvertOutputSerializer, 400: PROBLEM, 409: PROBLEM},
                   operation_id="fx_convert")
    def get(self, request):
        query = self.FxConvertQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        notice = notice_latest()
        if notice is None:
            raise NoRates()
        result = convert(notice=notice, currency=data["currency"].upper(),
                         amount=data["amount"], direction=data["direction"],
                         rate_kind=data["rate_kind"])
        return Response(self.FxConvertOutputSerializer({
            "currency": result.currency.code, "rate_kind": result.rate_kind,
            "rate": result.rate, "direction": result.direction,
            "foreign_amount": result.foreign_display.replace(",", ""),
            "foreign_minor": result.foreign_amount, "won": result.won}).data)


class FxRateHistoryApi(APIView):
    """The rates of one currency over the last days (the last notice of each KST day)."""

    permission_classes = [AllowAny]

    class FxHistoryQuerySerializer(serializers.Serializer):
        days = serializers.IntegerField(min_value=1, max_value=366, default=30)

    class FxHistoryPointSerializer(serializers.Serializer):
        noticed_at = serializers.DateTimeField()
        base = serializers.DecimalField(max_digits=14, decimal_places=4)
        tt_send = serializers.DecimalField(max_digits=14, decimal_places=4)
        tt_receive = serializers.DecimalField(max_digits=14, decimal_places=4)

    @extend_schema(parameters=[FxHistoryQuerySerializer],
                   responses={200: FxHistoryPointSerializer(many=True), 404: PROBLEM},
                   operation_id="fx_rate_history")
    def get(self, request, code):
        query = self.FxHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            currency = Currency.objects.filter(code=currency_code_clean(code)).first()
        except CurrencyNotOffered:
            currency = None
        if currency is None:
            raise NotFound(code="currency_not_found")
        points = rate_history(currency=currency, days=query.validated_data["days"])
        return Response(self.FxHistoryPointSerializer(
            [{"noticed_at": at, "base": rate.base, "tt_send": rate.tt_send,
              "tt_receive": rate.tt_receive} for at, rate in points], many=True).data)


class FxPartnersApi(APIView):
    """The Eurogiro partner postal institutions."""

    permission_classes = [AllowAny]

    class FxPartnerSerializer(serializers.Serializer):
        country = serializers.CharField()
        name = serializers.CharField()
        bic = serializers.CharField()
        currency = serializers.CharField(source="currency_id")
        account_payout = serializers.BooleanField()
        cash_payout = serializers.BooleanField()

    @extend_schema(responses={200: FxPartnerSerializer(many=True)},
                   operation_id="fx_eurogiro_partners")
    def get(self, request):
        partners = EurogiroPartner.objects.filter(active=True)
        return Response(self.FxPartnerSerializer(partners, many=True).data)


class FxEventSerializer(serializers.Serializer):
    status = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()


class FxRemittanceSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    status = serializers.CharField()
    from_account = serializers.CharField(source="from_account.formatted_number")
    currency = serializers.CharField(source="currency_id")
    amount = serializers.SerializerMethodField(help_text="Decimal text in the currency.")
    amount_minor = serializers.IntegerField(source="amount")
    sender_name = serializers.CharField()
    beneficiary_name = serializers.CharField()
    beneficiary_country = serializers.CharField()
    beneficiary_account = serializers.CharField(source="beneficiary_account_masked")
    bic = serializers.CharField()
    partner = serializers.CharField(source="partner.country", allow_null=True, default=None)
    payout = serializers.CharField()
    charges = serializers.CharField()
    purpose = serializers.CharField()
    rate = serializers.DecimalField(max_digits=14, decimal_places=4,
                                    help_text="TT send rate (won per unit; JPY per 100).")
    krw_amount = serializers.IntegerField()
    sending_fee = serializers.IntegerField()
    cable_charge = serializers.IntegerField()
    intermediary_usd_cents = serializers.IntegerField()
    intermediary_krw = serializers.IntegerField()
    total_krw = serializers.IntegerField()
    usd_cents = serializers.IntegerField(help_text="USD value counted for the annual limit.")
    refund_krw = serializers.IntegerField(allow_null=True)
    return_rate = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    return_reason = serializers.CharField()
    failure_code = serializers.CharField()
    failure_reason = serializers.CharField()
    message_reference = serializers.CharField()
    signer_certificate_serial = serializers.CharField(
        help_text="Serial (hex) of the joint certificate that signed the order.")
    signature = serializers.CharField(source="signature_base64", help_text="Base64.")
    signed_order_sha256 = serializers.CharField(
        help_text="SHA-256 (hex) of the signed order bytes kept as evidence.")
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    events = FxEventSerializer(many=True)

    def get_amount(self, remittance) -> str:
        return remittance.amount_display.replace(",", "")


class FxQuotedRemittanceSerializer(FxRemittanceSerializer):
    order = serializers.SerializerMethodField(
        help_text="Base64 of the canonical remittance order to sign with the joint "
                  "certificate.")

    def get_order(self, remittance) -> str:
        return base64.b64encode(remittance_order_bytes(remittance=remittance)).decode()


class FxQuoteInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Remittance.Kind.values)
    from_account = serializers.CharField(max_length=20)
    currency = serializers.CharField(max_length=3)
    amount = serializers.CharField(max_length=24, help_text="Decimal text, never a float.")
    sender_name = serializers.CharField(max_length=140)
    beneficiary_name = serializers.CharField(max_length=140)
    beneficiary_address = serializers.CharField(max_length=280)
    country = serializers.CharField(max_length=2)
    account = serializers.CharField(max_length=42, required=False, allow_blank=True,
                                    default="")
    bic = serializers.CharField(max_length=14, required=False, allow_blank=True, default="",
                                help_text="SWIFT only (Eurogiro uses the partner's BIC).")
    purpose = serializers.CharField(max_length=70)
    charges = serializers.ChoiceField(choices=Remittance.Charges.values, default="SHA")
    payout = serializers.ChoiceField(choices=Remittance.Payout.values, default="account")


class FxQuoteApi(APIView):
    """Quotes a remittance (every check, no money moves). A repeat with the same
    Idempotency-Key returns the first quote; the same key with another body is refused."""

    @extend_schema(
        request=FxQuoteInputSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     required=True, description="1 to 64 letters, digits or -_:.")],
        responses={201: FxQuotedRemittanceSerializer, 200: FxQuotedRemittanceSerializer,
                   400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        operation_id="fx_remittance_quote")
    def post(self, request):
        key = idempotency_key_clean(request.headers.get("Idempotency-Key"))
        data = FxQuoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        customer = customer_of_request(request)
        remittance = remittance_quote(
            customer=customer, kind=values["kind"], from_number=values["from_account"],
            currency=values["currency"], amount=values["amount"],
            sender_name=values["sender_name"], beneficiary_name=values["beneficiary_name"],
            beneficiary_address=values["beneficiary_address"], country=values["country"],
            account=values["account"], bic=values["bic"], purpose=values["purpose"],
            charges=values["charges"], payout=values["payout"], idempotency_key=key,
            channel=channel_of(request))
        replay = getattr(remittance, "replayed", False)
        response = Response(FxQuotedRemittanceSerializer(remittance).data,
                            status=200 if replay else 201)
        if replay:
            response["Idempotent-Replayed"] = "true"
        return response


class FxSearchApi(APIView):
    """Remittances of one kind by period (KST dates) and status."""

    class FxSearchQuerySerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Remittance.Kind.values)
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)
        status = serializers.ChoiceField(choices=RESULT_STATUSES, required=False)
        page = serializers.IntegerField(min_value=1, max_value=PAGE_MAX, required=False,
                                        default=1)

    class FxSearchOutputSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        page = serializers.IntegerField()
        results = FxRemittanceSerializer(many=True)

    @extend_schema(parameters=[FxSearchQuerySerializer],
                   responses={200: FxSearchOutputSerializer, 400: PROBLEM},
                   operation_id="fx_remittance_search")
    def get(self, request):
        query = self.FxSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        search = remittance_search_clean(date_from=data.get("date_from"),
                                         date_to=data.get("date_to"),
                                         status=data.get("status", ""))
        found = remittances_search(customer=customer_of_request(request), kind=data["kind"],
                                   search=search).prefetch_related("events")
        start = (data["page"] - 1) * PAGE_SIZE
        return Response({"count": found.count(), "page": data["page"],
                         "results": FxRemittanceSerializer(found[start:start + PAGE_SIZE],
                                                           many=True).data})


class FxDetailApi(APIView):
    """One remittance with its fees and status history."""

    @extend_schema(responses={200: FxRemittanceSerializer, 404: PROBLEM},
                   operation_id="fx_remittance_detail")
    def get(self, request, public_id):
        remittance = remittance_get_for_customer(customer=customer_of_request(request),
                                                 public_id=public_id)
        return Response(FxRemittanceSerializer(remittance).data)


class FxMessageApi(APIView):
    """The outbound message as sent to the network (pacs.008 XML or MT103 text)."""

    class FxMessageOutputSerializer(serializers.Serializer):
        filename = serializers.CharField()
        format = serializers.CharField()
        message = serializers.CharField()

    @extend_schema(responses={200: FxMessageOutputSerializer, 404: PROBLEM},
                   operation_id="fx_remittance_message")
    def get(self, request, public_id):
        remittance = remittance_get_for_customer(customer=customer_of_request(request),
                                                 public_id=public_id)
        if not remittance.message_enc:
            raise NotFound(code="message_not_sent")
        return Response({
            "filename": remittance.message_filename,
            "format": "pacs.008.001.08" if remittance.kind == "swift" else "MT103",
            "message": remittance.message})


class FxChallengeApi(APIView):
    """The security medium challenge for confirming a quoted remittance."""

    class FxChallengeOutputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        challenge_id = serializers.CharField(allow_null=True)
        first_index = serializers.IntegerField(allow_null=True)
        second_index = serializers.IntegerField(allow_null=True)

    @extend_schema(request=None,
                   responses={200: FxChallengeOutputSerializer, 404: PROBLEM, 409: PROBLEM},
                   operation_id="fx_remittance_challenge")
    def post(self, request, public_id):
        from enrollment.security import security_challenge_issue

        customer = customer_of_request(request)
        remittance_get_for_customer(customer=customer, public_id=public_id)
        challenge = security_challenge_issue(customer=customer)
        return Response({"kind": challenge.kind, "challenge_id": challenge.id,
                         "first_index": challenge.first_index,
                         "second_index": challenge.second_index})


class FxConfirmApi(APIView):
    """Confirms a quote with the electronic signature of its `order` (joint certificate),
    the account password and the security medium; the money moves once. Repeating it
    returns the first result. A missing signature answers `signature_required`, one that is
    not base64 `invalid_signature_encoding`, a wrong one or one by a revoked, suspended or
    expired certificate `invalid_signature` (with `certificate_status`), and the
    remittance stays quoted."""

    class FxConfirmInputSerializer(serializers.Serializer):
        account_password = serializers.CharField(max_length=4, trim_whitespace=False)
        challenge_id = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                             allow_null=True, default=None)
        security_answer = serializers.CharField(max_length=8)
        signature = serializers.CharField(
            max_length=2048, required=False, allow_blank=True, default="",
            help_text="Needed: the base64 RSA-PKCS#1 v1.5 SHA-256 signature over the bytes of "
                      "`order` (from the quote answer) made with the customer's joint "
                      "certificate; without it the answer is `signature_required`.")

    @extend_schema(request=FxConfirmInputSerializer,
                   responses={200: FxRemittanceSerializer, 400: PROBLEM, 403: PROBLEM,
                              404: PROBLEM, 409: PROBLEM},
                   operation_id="fx_remittance_confirm")
    def post(self, request, public_id):
        customer = customer_of_request(request)
        remittance = remittance_get_for_customer(customer=customer, public_id=public_id)
        data = self.FxConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        signature = signature_decode(values["signature"])
        remittance = remittance_confirm(
            customer=customer, remittance=remittance,
            account_password=values["account_password"],
            challenge_id=values["challenge_id"] or None,
            security_answer=values["security_answer"], signature=signature,
            channel=channel_of(request), ip=client_ip(request))
        if remittance.status in (Remittance.Status.FAILED, Remittance.Status.EXPIRED):
            # The first answer was this refusal; a repeat gives the same one.
            raise Refused(remittance.failure_reason, code=remittance.failure_code)
        return Response(FxRemittanceSerializer(remittance).data)
