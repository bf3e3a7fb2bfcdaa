from django.urls import path

from enrollment import api

urlpatterns = [
    path("auth/token/", api.TokenApi.as_view(), name="api-token"),
    path("auth/logout/", api.TokenRevokeApi.as_view(), name="api-logout"),
    path("me/", api.MeApi.as_view(), name="api-me"),
]
