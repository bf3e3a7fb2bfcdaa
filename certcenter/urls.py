from django.urls import path, re_path

from certcenter import views, views_public

app_name = "certcenter"

urlpatterns = [
    path("ca.pem", views_public.ca_pem, name="ca-pem"),
    path("crl", views_public.crl, name="crl"),
    path("ocsp", views_public.ocsp, name="ocsp"),
    re_path(r"^ocsp/(?P<encoded>[A-Za-z0-9+/=%]+)$", views_public.ocsp, name="ocsp-get"),
    path("", views.info, name="info"),
    path("certificates/", views.certificate_list, name="list"),
    path("certificates/<str:serial>/", views.certificate_detail, name="detail"),
    path("issue/", views.issue, name="issue"),
    path("renew/", views.renew, name="renew"),
    path("discard/", views.discard, name="discard"),
    path("lost/", views.report_lost, name="lost"),
    path("password/", views.password, name="password"),
    path("copy/import/", views.copy_import, name="copy-import"),
    path("copy/export/", views.copy_export, name="copy-export"),
    path("foreign/", views.foreign, name="foreign"),
    path("devices/", views.device_list, name="devices"),
    path("devices/<int:device_id>/remove/", views.device_remove, name="device-remove"),
    path("sms-code/", views.sms_code, name="sms-code"),
    path("login/", views.certificate_login, name="login"),
    path("sign-check/", views.sign_check, name="sign-check"),
    path("dormancy/", views.dormancy_lift, name="dormancy"),
    path("dormancy/medium/", views.dormancy_lift_medium, name="dormancy-medium"),
]
