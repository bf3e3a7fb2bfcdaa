app_name = "fx"

urlpatterns: list = []
