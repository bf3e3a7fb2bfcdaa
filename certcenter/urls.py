app_name = "certcenter"

urlpatterns: list = []
