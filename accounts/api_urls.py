from django.urls import path

from accounts import api

urlpatterns = [
    path("accounts/", api.AccountListApi.as_view(), name="api-accounts"),
    path("accounts/<str:number>/", api.AccountDetailApi.as_view(), name="api-account"),
    path("accounts/<str:number>/transactions/", api.AccountHistoryApi.as_view(),
         name="api-account-transactions"),
]
