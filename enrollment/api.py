from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.models import ApiToken
from enrollment.services import api_token_issue, api_token_revoke, customer_login
from postbank import policy


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
