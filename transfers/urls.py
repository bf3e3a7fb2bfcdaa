from django.urls import path

from transfers import views

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_new, name="new"),
    path("results/", views.transfer_results, name="results"),
    path("<uuid:public_id>/confirm/", views.transfer_confirm, name="confirm"),
    path("<uuid:public_id>/sms-code/", views.transfer_sms_code, name="sms-code"),
    path("<uuid:public_id>/", views.transfer_detail, name="detail"),
    path("<uuid:public_id>/receipt/", views.transfer_receipt, name="receipt"),
]
