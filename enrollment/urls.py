from django.urls import path

from enrollment import views

app_name = "enrollment"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
]
