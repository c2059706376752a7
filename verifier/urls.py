from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from verifier.views import healthz, readyz

admin.site.site_header = "Verifier"
admin.site.site_title = "Verifier"
admin.site.index_title = "Newsroom desk"

# Problem details (JSON) under /api/, Django's pages elsewhere.
handler400 = "verifier.exceptions.bad_request"
handler403 = "verifier.exceptions.permission_denied"
handler404 = "verifier.exceptions.page_not_found"
# A database outage is a 503 (verifier.views); anything else a 500, problem
# details under /api/ (verifier.exceptions.server_error).


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # Browsers ask for /favicon.ico on every site, whatever the page links to.
    return HttpResponsePermanentRedirect(static("verifier/favicon.svg"))


# A database outage becomes a 503 (JSON under /api/), any other error a 500.
handler500 = "verifier.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("api/v1/", include("verifier.api")),
    # The public pages, with robots.txt and the sitemap.
    path("", include("claims.urls")),
]
