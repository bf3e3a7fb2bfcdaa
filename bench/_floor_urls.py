"""The framework floor of bench/transfers_api, and the issue's reference transfer.

`Floor`: one API view through the app's whole stack (gunicorn, middleware, DRF, the Bearer
token lookup) that does nothing else. The bench's clients call it as they call a transfer
(two calls and an RSA signature in between), so its rate is what no transfer through this
stack can exceed on the same machine.

`BareTransfer`: the reference the transfer issue measures its goal against, "a bare Django
ORM transfer (two row locks, two updates, two inserts)", in one call through the same stack:
both accounts locked in one SELECT ... FOR UPDATE ordered by key, two balance updates, the
journal entry and its two postings (the ledger's balance trigger runs as for any entry).
No rule is checked: no limit, password, security medium, signature or idempotency key.
"""

import base64
import uuid

from django.db import transaction
from django.db.models import F
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, JournalEntry, Posting

ORDER = base64.b64encode(bytes(300)).decode()  # about a transfer order's size


class Floor(APIView):
    def get(self, request):
        return Response({"results": []})

    def post(self, request):
        return Response({"id": str(uuid.uuid4()), "status": "completed", "order": ORDER,
                         "echo": request.data})


class BareTransfer(APIView):
    def post(self, request):
        numbers = [request.data["from_account"], request.data["account_number"]]
        amount = int(request.data["amount"])
        with transaction.atomic():
            locked = {a.number: a for a in Account.objects.select_for_update()
                      .filter(number__in=numbers).order_by("pk")}
            source, target = locked[numbers[0]], locked[numbers[1]]
            Account.objects.filter(pk=source.pk).update(balance=F("balance") - amount)
            Account.objects.filter(pk=target.pk).update(balance=F("balance") + amount)
            entry = JournalEntry.objects.create(kind="transfer", memo="bench reference")
            Posting.objects.bulk_create([
                Posting(entry=entry, account=source, amount=-amount, created_at=timezone.now(),
                        balance_after=source.balance - amount),
                Posting(entry=entry, account=target, amount=amount, created_at=timezone.now(),
                        balance_after=target.balance + amount),
            ])
        return Response({"id": entry.pk, "status": "completed"})


urlpatterns = [
    path("api/v1/floor/", Floor.as_view()),
    path("api/v1/floor/bare-transfer/", BareTransfer.as_view()),
]
