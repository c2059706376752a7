from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import path

admin.site.site_header = "Verifier"
admin.site.site_title = "Verifier"
admin.site.index_title = "Newsroom desk"


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # Browsers ask for /favicon.ico on every site, whatever the page links to.
    return HttpResponsePermanentRedirect(static("verifier/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
]
