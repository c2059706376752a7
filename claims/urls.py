from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import embed, feeds, views
from .page_cache import public_page
from .sitemaps import SITEMAPS

app_name = "claims"

urlpatterns = [
    path("", views.claim_list, name="index"),
    path("claims/<slug:slug>/", views.claim_detail, name="claim"),
    path("claims/<slug:slug>/embed/", embed.claim_embed, name="embed"),
    path("oembed/", embed.oembed, name="oembed"),
    path("events/<slug:slug>/", views.event_detail, name="event"),
    path("events/<slug:slug>/feed/", feeds.event_feed, name="event-feed"),
    path("sources/<slug:slug>/", views.source_detail, name="source"),
    path("sources/<slug:slug>/feed/", feeds.source_feed, name="source-feed"),
    path("places/<slug:slug>/", views.place_detail, name="place"),
    path("feed/", feeds.feed, name="feed"),
    path("claimreview.json", feeds.claimreview_feed, name="claimreview"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", public_page(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
]
