from django.urls import path

from fx import api

urlpatterns = [
    path("fx/rates/", api.FxRatesApi.as_view(), name="api-fx-rates"),
    path("fx/rates/convert/", api.FxConvertApi.as_view(), name="api-fx-convert"),
    path("fx/rates/<str:code>/history/", api.FxRateHistoryApi.as_view(),
         name="api-fx-rate-history"),
    path("fx/eurogiro/partners/", api.FxPartnersApi.as_view(), name="api-fx-partners"),
    path("fx/remittances/", api.FxQuoteApi.as_view(), name="api-fx-quote"),
    path("fx/remittances/search/", api.FxSearchApi.as_view(), name="api-fx-search"),
    path("fx/remittances/<uuid:public_id>/", api.FxDetailApi.as_view(), name="api-fx-detail"),
    path("fx/remittances/<uuid:public_id>/message/", api.FxMessageApi.as_view(),
         name="api-fx-message"),
    path("fx/remittances/<uuid:public_id>/challenge/", api.FxChallengeApi.as_view(),
         name="api-fx-challenge"),
    path("fx/remittances/<uuid:public_id>/confirm/", api.FxConfirmApi.as_view(),
         name="api-fx-confirm"),
]
