"""Account inquiry and transaction history for the web and the Smart Banking app."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import (
    DIRECTIONS,
    KST,
    account_get_for_customer,
    account_history,
    accounts_for_customer,
    history_query_parse,
)
from enrollment.selectors import customer_of_request
from enrollment.services import customer_ensure_active


def _customer(request):
    customer = customer_of_request(request)
    customer_ensure_active(customer=customer)
    return customer


class AccountOutputSerializer(serializers.Serializer):
    number = serializers.CharField(source="formatted_number")
    subject = serializers.CharField()
    subject_name = serializers.CharField(source="get_subject_display")
    status = serializers.CharField()
    balance = serializers.IntegerField()
    hold = serializers.IntegerField()
    available = serializers.IntegerField()
    opened_at = serializers.DateTimeField()


class TransactionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    direction = serializers.CharField()
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    counterparty = serializers.CharField()
    memo = serializers.CharField()


class HistoryOutputSerializer(serializers.Serializer):
    account = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    direction = serializers.CharField()
    results = TransactionOutputSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class AccountListApi(APIView):
    """All my open accounts with balance and available amount (won)."""

    @extend_schema(responses=AccountOutputSerializer(many=True), operation_id="accounts_list")
    def get(self, request):
        accounts = accounts_for_customer(customer=_customer(request))
        return Response(AccountOutputSerializer(accounts, many=True).data)


class AccountDetailApi(APIView):
    """One of my accounts; another customer's number answers 404."""

    @extend_schema(responses=AccountOutputSerializer, operation_id="accounts_retrieve")
    def get(self, request, number: str):
        account = account_get_for_customer(customer=_customer(request), number=number)
        return Response(AccountOutputSerializer(account).data)


class AccountHistoryApi(APIView):
    """Transaction history, newest first, by keyset pages: pass `next_cursor` back as
    `cursor` for older rows. A custom period needs `from` and `to` (at most one year)."""

    class HistoryInputSerializer(serializers.Serializer):
        period = serializers.ChoiceField(choices=["today", "1w", "1m", "3m", "custom"],
                                         required=False)
        date_from = serializers.CharField(required=False, max_length=10)
        date_to = serializers.CharField(required=False, max_length=10)
        direction = serializers.ChoiceField(choices=DIRECTIONS, required=False)
        cursor = serializers.CharField(required=False, max_length=200)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100,
                                         default=20)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=["today", "1w", "1m", "3m", "custom"]),
            OpenApiParameter("from", str, description="YYYY-MM-DD (custom period)"),
            OpenApiParameter("to", str, description="YYYY-MM-DD (custom period)"),
            OpenApiParameter("direction", str, enum=list(DIRECTIONS)),
            OpenApiParameter("cursor", str), OpenApiParameter("limit", int),
        ],
        responses=HistoryOutputSerializer, operation_id="accounts_transactions")
    def get(self, request, number: str):
        customer = _customer(request)
        params = request.query_params
        data = self.HistoryInputSerializer(data={
            **{k: params[k] for k in ("period", "direction", "cursor", "limit") if k in params},
            **{f"date_{k}": params[k] for k in ("from", "to") if k in params}})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = account_get_for_customer(customer=customer, number=number)
        query = history_query_parse(period=values.get("period"),
                                    date_from=values.get("date_from"),
                                    date_to=values.get("date_to"),
                                    direction=values.get("direction"))
        page = account_history(account=account, query=query, cursor=values.get("cursor"),
                               limit=values["limit"])
        results = [{
            "id": row.pk, "at": timezone.localtime(row.created_at, KST).isoformat(),
            "kind": row.entry.kind, "direction": "deposit" if row.amount > 0 else "withdrawal",
            "amount": abs(row.amount), "balance_after": row.balance_after,
            "counterparty": row.counterparty, "memo": row.memo} for row in page.rows]
        return Response({"account": account.formatted_number,
                         "date_from": query.date_from.isoformat(),
                         "date_to": query.date_to.isoformat(), "direction": query.direction,
                         "results": results, "next_cursor": page.next_cursor})
