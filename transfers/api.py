"""Transfer API (/api/v1/transfers/...): thin doors onto transfers.services.

Money moves in two calls, like the pages: POST /transfers/ (with an Idempotency-Key
header) runs the recipient inquiry and answers the holder's name, the fee, the order bytes
to sign and the security medium challenge; POST /transfers/{id}/confirm/ with the
signature of the order (joint certificate), the account password and the challenge's answer
executes it once. POST /transfers/{id}/challenge/ gives a new challenge for a retry.
"""

import base64

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.security import security_challenge_issue
from enrollment.selectors import customer_of_request
from postbank import policy
from postbank.audit import channel_of, client_ip
from postbank.errors import Refused
from postbank.idempotency import idempotency_key_clean
from transfers.models import Transfer
from transfers.selectors import (
    RESULT_STATUSES,
    transfer_get_for_customer,
    transfer_search_clean,
    transfers_search,
)
from transfers.services import (
    extra_verification_sms_send,
    extra_verification_state,
    recipient_inquiry,
    signature_decode,
    transfer_execute,
    transfer_order_bytes,
    transfer_prepare,
)

SEARCH_MAX_PAGE = 10_000  # far beyond a year of results; bounds the OFFSET (choice)
PROBLEM = OpenApiResponse(description="Problem details (application/problem+json) with a `code`.")


def device_token_of(request) -> str | None:
    # certcenter.devices: the pre-consent (designated device) cookie.
    from certcenter.devices import DEVICE_COOKIE

    return request.COOKIES.get(DEVICE_COOKIE)


class TransferOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    kind = serializers.CharField()
    from_account = serializers.CharField(source="from_account.formatted_number")
    bank_code = serializers.CharField(source="to_bank_code")
    bank_name = serializers.CharField()
    account_number = serializers.CharField(source="formatted_to_number")
    recipient_name = serializers.CharField()
    amount = serializers.IntegerField()
    fee = serializers.IntegerField()
    sender_memo = serializers.CharField()
    recipient_memo = serializers.CharField()
    failure_code = serializers.CharField()
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    executed_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    signer_certificate_serial = serializers.CharField(
        help_text="Serial (hex) of the joint certificate that signed the order."
    )
    signature = serializers.CharField(source="signature_base64", help_text="Base64.")
    signed_order_sha256 = serializers.CharField(
        help_text="SHA-256 (hex) of the signed order bytes kept as evidence."
    )


class TransferChallengeOutputSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="security_card or otp.")
    challenge_id = serializers.CharField(allow_null=True)
    first_index = serializers.IntegerField(allow_null=True)
    second_index = serializers.IntegerField(allow_null=True)


def _challenge_data(challenge) -> dict:
    return {
        "kind": challenge.kind,
        "challenge_id": challenge.id,
        "first_index": challenge.first_index,
        "second_index": challenge.second_index,
    }


# The prepare answer, as transfer_data(..., prepared=...) builds it.
class PreparedTransferOutputSerializer(TransferOutputSerializer):
    order = serializers.CharField(
        read_only=True,
        help_text="Base64 of the canonical transfer order to sign with the joint certificate."
    )
    challenge = TransferChallengeOutputSerializer(
        allow_null=True,
        read_only=True,
        help_text=(
            "The security medium challenge for the confirmation, while the transfer is "
            "prepared (POST .../challenge/ gives a new one)."
        ),
    )
    extra_verification = serializers.CharField(
        read_only=True,
        help_text=(
            "Fraud prevention above 3,000,000 won a day: `none`, `designated_device` (this "
            "device is designated) or `sms_code` (POST .../sms-code/, then send `sms_code` "
            "with the confirmation)."
        )
    )


# One instance serves every answer: DRF deep-copies a serializer's field definitions for
# each new instance, which cost a transfer's two calls more CPU than all their SQL.
# to_representation() keeps no state between calls.
_TRANSFER_OUTPUT = TransferOutputSerializer()


def transfer_data(transfer: Transfer, *, prepared: dict | None = None) -> dict:
    """A transfer as TransferOutputSerializer describes it; with `prepared` (challenge and
    extra_verification) the prepare answer of PreparedTransferOutputSerializer."""
    data = _TRANSFER_OUTPUT.to_representation(transfer)
    if prepared is not None:
        data["order"] = base64.b64encode(transfer_order_bytes(transfer=transfer)).decode()
        data.update(prepared)
    return data


class TransferInputSerializer(serializers.Serializer):
    from_account = serializers.CharField(max_length=20)
    bank_code = serializers.CharField(max_length=3, help_text="071 Post Office or another bank.")
    account_number = serializers.CharField(max_length=20)
    amount = serializers.JSONField(help_text="Whole won: an integer or a text of digits.")
    sender_memo = serializers.CharField(
        max_length=policy.TRANSFER_MEMO_MAX, required=False, allow_blank=True, default=""
    )
    recipient_memo = serializers.CharField(
        max_length=policy.TRANSFER_MEMO_MAX, required=False, allow_blank=True, default=""
    )


# Shared instances validate every request with run_validation(), which keeps no state (the
# validated data or a ValidationError, as is_valid(raise_exception=True) gives): a new
# instance per request would deep-copy its field definitions each time.
_TRANSFER_INPUT = TransferInputSerializer()


class RecipientInquiryApi(APIView):
    """Recipient inquiry: the holder's name and the fee, before anything is prepared."""

    class RecipientInquiryInputSerializer(serializers.Serializer):
        from_account = serializers.CharField(max_length=20)
        bank_code = serializers.CharField(max_length=3)
        account_number = serializers.CharField(max_length=20)

    class RecipientInquiryOutputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        bank_code = serializers.CharField()
        account_number = serializers.CharField()
        recipient_name = serializers.CharField()
        fee = serializers.IntegerField()

    @extend_schema(
        request=RecipientInquiryInputSerializer,
        responses={200: RecipientInquiryOutputSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        operation_id="transfers_recipient_inquiry",
    )
    def post(self, request):
        data = self.RecipientInquiryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recipient = recipient_inquiry(
            customer=customer_of_request(request),
            from_number=data.validated_data["from_account"],
            bank_code=data.validated_data["bank_code"],
            account_number=data.validated_data["account_number"],
        )
        return Response(
            {
                "kind": recipient.kind,
                "bank_code": recipient.bank_code,
                "account_number": recipient.number,
                "recipient_name": recipient.name,
                "fee": recipient.fee,
            }
        )


class TransferPrepareApi(APIView):
    """Prepares a transfer (recipient inquiry included). A repeat with the same
    Idempotency-Key returns the first transfer; the same key with another body is refused."""

    @extend_schema(
        request=TransferInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="1 to 64 letters, digits or -_:.",
            )
        ],
        responses={
            201: PreparedTransferOutputSerializer,
            200: PreparedTransferOutputSerializer,
            400: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            422: PROBLEM,
        },
        operation_id="transfers_prepare",
    )
    def post(self, request):
        key = idempotency_key_clean(request.headers.get("Idempotency-Key"))
        data = _TRANSFER_INPUT.run_validation(request.data)
        customer = customer_of_request(request)
        transfer = transfer_prepare(
            customer=customer,
            idempotency_key=key,
            channel=channel_of(request),
            from_number=data["from_account"],
            bank_code=data["bank_code"],
            account_number=data["account_number"],
            amount=data["amount"],
            sender_memo=data["sender_memo"],
            recipient_memo=data["recipient_memo"],
        )
        challenge, extra = None, "none"
        if transfer.status == Transfer.Status.PREPARED:
            # The confirmation's challenge comes with the order: one round trip fewer.
            challenge = _challenge_data(security_challenge_issue(customer=customer))
            extra = extra_verification_state(
                customer=customer, transfer=transfer, device_token=device_token_of(request)
            )
        response = Response(
            transfer_data(
                transfer, prepared={"challenge": challenge, "extra_verification": extra}
            ),
            status=200 if transfer.replayed else 201,
        )
        if transfer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class TransferChallengeApi(APIView):
    """The security medium challenge for confirming a prepared transfer: for a security card
    the two code numbers to answer (first two digits of one, last two of the other) and a
    single-use challenge id; for an OTP only the kind."""

    @extend_schema(
        request=None,
        responses={200: TransferChallengeOutputSerializer, 404: PROBLEM, 409: PROBLEM},
        operation_id="transfers_challenge",
    )
    def post(self, request, public_id):
        customer = customer_of_request(request)
        transfer_get_for_customer(customer=customer, public_id=public_id)
        return Response(_challenge_data(security_challenge_issue(customer=customer)))


class TransferSmsCodeApi(APIView):
    """Sends the one-time SMS code that a confirmation above 3,000,000 won a day needs when
    the device is not designated (valid 5 minutes, single use)."""

    @extend_schema(
        request=None,
        responses={204: None, 404: PROBLEM, 409: PROBLEM},
        operation_id="transfers_sms_code",
    )
    def post(self, request, public_id):
        customer = customer_of_request(request)
        transfer = transfer_get_for_customer(customer=customer, public_id=public_id)
        extra_verification_sms_send(customer=customer, transfer=transfer)
        return Response(status=204)


class TransferConfirmApi(APIView):
    """Confirms a prepared transfer with the electronic signature of its order, the account
    password and the security medium; the money moves once. Repeating it returns the first
    result. A missing signature answers `signature_required`, a wrong or revoked one
    `invalid_signature`, and the transfer stays prepared. Above 3,000,000 won a day a
    designated device (its cookie) or `sms_code` is needed, else
    `extra_verification_required` (still prepared)."""

    class TransferConfirmInputSerializer(serializers.Serializer):
        account_password = serializers.CharField(max_length=4, trim_whitespace=False)
        challenge_id = serializers.CharField(
            max_length=64, required=False, allow_blank=True, allow_null=True, default=None
        )
        security_answer = serializers.CharField(max_length=8)
        signature = serializers.CharField(
            max_length=2048,
            required=False,
            allow_blank=True,
            default="",
            help_text=(
                "Needed: the base64 RSA-PKCS#1 v1.5 SHA-256 signature over the bytes of `order` "
                "(from the prepare answer) made with the customer's joint certificate; without "
                "it the answer is `signature_required`."
            ),
        )
        sms_code = serializers.CharField(
            max_length=6,
            required=False,
            allow_blank=True,
            default="",
            help_text="The SMS code (POST .../sms-code/) when the device is not designated.",
        )

    confirm_input = TransferConfirmInputSerializer()  # shared: see _TRANSFER_INPUT

    @extend_schema(
        request=TransferConfirmInputSerializer,
        responses={
            200: TransferOutputSerializer,
            400: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
        },
        operation_id="transfers_confirm",
    )
    def post(self, request, public_id):
        customer = customer_of_request(request)
        try:
            data = self.confirm_input.run_validation(request.data)
        except serializers.ValidationError:
            # Not the customer's transfer answers 404 before anything else (the happy path
            # finds it in transfer_execute's first statement).
            transfer_get_for_customer(customer=customer, public_id=public_id)
            raise
        signature = signature_decode(data["signature"])
        transfer = transfer_execute(
            customer=customer,
            transfer_id=public_id,
            account_password=data["account_password"],
            challenge_id=data["challenge_id"] or None,
            security_answer=data["security_answer"],
            signature=signature,
            channel=channel_of(request),
            ip=client_ip(request),
            device_token=device_token_of(request),
            sms_code=data["sms_code"],
        )
        if (
            transfer.status in (Transfer.Status.FAILED, Transfer.Status.EXPIRED)
            and not transfer.moved_money
        ):
            # The first answer was this refusal; a repeat gives the same one.
            raise Refused(transfer.failure_reason, code=transfer.failure_code)
        return Response(transfer_data(transfer))


class TransferSearchApi(APIView):
    """Transfer results by period (KST dates), status and recipient (name or number)."""

    class TransferSearchQuerySerializer(serializers.Serializer):
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)
        status = serializers.ChoiceField(choices=RESULT_STATUSES, required=False)
        recipient = serializers.CharField(max_length=100, required=False)
        page = serializers.IntegerField(
            min_value=1, max_value=SEARCH_MAX_PAGE, required=False, default=1
        )

    class TransferSearchOutputSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        page = serializers.IntegerField()
        results = TransferOutputSerializer(many=True)

    @extend_schema(
        parameters=[TransferSearchQuerySerializer],
        responses={200: TransferSearchOutputSerializer, 400: PROBLEM},
        operation_id="transfers_search",
    )
    def get(self, request):
        query = self.TransferSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        search = transfer_search_clean(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            status=data.get("status", ""),
            recipient=data.get("recipient", ""),
        )
        transfers = transfers_search(customer=customer_of_request(request), search=search)
        size = policy.TRANSFER_PAGE_SIZE
        start = (data["page"] - 1) * size
        return Response(
            {
                "count": transfers.count(),
                "page": data["page"],
                "results": [transfer_data(found) for found in transfers[start : start + size]],
            }
        )


class TransferDetailApi(APIView):
    @extend_schema(
        responses={200: TransferOutputSerializer, 404: PROBLEM}, operation_id="transfers_detail"
    )
    def get(self, request, public_id):
        transfer = transfer_get_for_customer(
            customer=customer_of_request(request), public_id=public_id
        )
        return Response(transfer_data(transfer))
