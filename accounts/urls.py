from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("history/", views.history, name="history"),
    path("history/csv/", views.history_csv, name="history-csv"),
    path("history/statement/", views.history_statement, name="statement"),
]
