from django.urls import path

from fx import views

app_name = "fx"

urlpatterns = [
    path("rates/", views.rates, name="rates"),
    path("swift/", views.swift_new, name="swift"),
    path("swift/results/", views.swift_results, name="swift-results"),
    path("eurogiro/", views.eurogiro_new, name="eurogiro"),
    path("eurogiro/results/", views.eurogiro_results, name="eurogiro-results"),
    path("remittances/<uuid:public_id>/", views.detail, name="detail"),
    path("remittances/<uuid:public_id>/confirm/", views.confirm, name="confirm"),
    path("remittances/<uuid:public_id>/receipt/", views.receipt, name="receipt"),
    path("remittances/<uuid:public_id>/message/", views.message, name="message"),
]
