from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from postbank import views

admin.site.site_header = _("Postbank counter")
admin.site.site_title = _("Postbank counter")
admin.site.index_title = _("Counter screens")

api_v1 = [
    path("", include("enrollment.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("transfers.api_urls")),
    path("", include("certcenter.api_urls")),
    path("", include("fx.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("session/extend/", views.session_extend, name="session-extend"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("counter/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
         name="api-docs"),
    path("", include("enrollment.urls")),
    path("accounts/", include("accounts.urls")),
    path("transfers/", include("transfers.urls")),
    path("certcenter/", include("certcenter.urls")),
    path("fx/", include("fx.urls")),
]

handler404 = "postbank.views.page_not_found"
