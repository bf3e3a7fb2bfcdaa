from django.urls import path

from enrollment import views

app_name = "enrollment"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_view, name="register"),
    path("register/confirm/", views.register_confirm_view, name="register-confirm"),
    path("security/", views.security_center, name="security"),
    path("security/loss/", views.loss_report_view, name="security-loss"),
    path("security/limits/", views.limits_view, name="security-limits"),
]
