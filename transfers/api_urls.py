from django.urls import path

from transfers import api

urlpatterns = [
    path("transfers/inquiry/", api.RecipientInquiryApi.as_view(), name="api-transfer-inquiry"),
    path("transfers/", api.TransferPrepareApi.as_view(), name="api-transfer-prepare"),
    path("transfers/results/", api.TransferSearchApi.as_view(), name="api-transfer-search"),
    path(
        "transfers/<uuid:public_id>/", api.TransferDetailApi.as_view(), name="api-transfer-detail"
    ),
    path(
        "transfers/<uuid:public_id>/challenge/",
        api.TransferChallengeApi.as_view(),
        name="api-transfer-challenge",
    ),
    path(
        "transfers/<uuid:public_id>/sms-code/",
        api.TransferSmsCodeApi.as_view(),
        name="api-transfer-sms-code",
    ),
    path(
        "transfers/<uuid:public_id>/confirm/",
        api.TransferConfirmApi.as_view(),
        name="api-transfer-confirm",
    ),
]
