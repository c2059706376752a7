from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Verifier"
admin.site.site_title = "Verifier"
admin.site.index_title = "Newsroom desk"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("verifier.api")),
]
