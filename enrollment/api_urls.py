from django.urls import path

from enrollment import api

urlpatterns = [
    path("auth/token/", api.TokenApi.as_view(), name="api-token"),
    path("auth/logout/", api.TokenRevokeApi.as_view(), name="api-logout"),
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("registration/identify/", api.RegistrationIdentifyApi.as_view(),
         name="api-registration-identify"),
    path("registration/complete/", api.RegistrationCompleteApi.as_view(),
         name="api-registration-complete"),
    path("smart-banking/", api.SmartBankingApi.as_view(), name="api-smart-banking"),
    path("security/", api.SecurityCenterApi.as_view(), name="api-security"),
    path("security/loss-reports/", api.LossReportApi.as_view(), name="api-security-loss"),
    path("security/limits/", api.OwnLimitsApi.as_view(), name="api-security-limits"),
]
