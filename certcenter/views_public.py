"""The CA's public endpoints: the chain, the CRL and the OCSP responder (no login; relying
parties and `openssl` call them)."""

import base64
import binascii

from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from certcenter import ca as ca_ops
from certcenter import services
from certcenter.errors import CaNotReady

MAX_OCSP_REQUEST = 8_192


def _not_ready() -> HttpResponse:
    return HttpResponse(str(CaNotReady.title), status=503, content_type="text/plain")


@require_GET
@cache_control(max_age=3600, public=True)
def ca_pem(request):
    try:
        body = ca_ops.chain_pem()
    except CaNotReady:
        return _not_ready()
    return HttpResponse(body, content_type="application/x-pem-file")


@require_GET
@cache_control(max_age=300, public=True)
def crl(request):
    try:
        der = services.crl_current_der()
    except CaNotReady:
        return _not_ready()
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Content-Disposition"] = 'attachment; filename="postbank.crl"'
    return response


@csrf_exempt  # OCSP clients post DER without cookies; the response is signed, not secret
@require_http_methods(["GET", "POST"])
def ocsp(request, encoded: str = ""):
    if request.method == "POST":
        body = request.body[: MAX_OCSP_REQUEST + 1]
    else:
        try:
            body = base64.b64decode(
                encoded.replace("%2B", "+").replace("%2F", "/").replace("%3D", "="), validate=False
            )
        except (binascii.Error, ValueError):
            body = b""
    if len(body) > MAX_OCSP_REQUEST:
        body = b""
    return HttpResponse(
        services.ocsp_respond(request_der=body), content_type="application/ocsp-response"
    )
