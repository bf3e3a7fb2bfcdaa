"""The framework floor of bench/transfers_api: one API view through the app's whole stack
(gunicorn, middleware, DRF, the Bearer token lookup) that does nothing else. The bench's
clients call it as they call a transfer (two calls and an RSA signature in between), so its
rate is what no transfer through this stack can exceed on the same machine."""

import base64
import uuid

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

ORDER = base64.b64encode(bytes(300)).decode()  # about a transfer order's size


class Floor(APIView):
    def get(self, request):
        return Response({"results": []})

    def post(self, request):
        return Response({"id": str(uuid.uuid4()), "status": "completed", "order": ORDER,
                         "echo": request.data})


urlpatterns = [path("api/v1/floor/", Floor.as_view())]
