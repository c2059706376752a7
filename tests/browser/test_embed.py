"""The verdict card framed by a newsroom's page on another origin, in Chromium:
shown where ``EMBED_ALLOWED_ORIGINS`` allows that origin, refused elsewhere."""

import html
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command

from claims.models import Claim

pytestmark = pytest.mark.django_db(transaction=True)
expect = pytest.importorskip("playwright.sync_api").expect

BELGOROD = "ukrainian-forces-operating-in-belgorod-region"
WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def embed_code(page, live_server, slug: str) -> str:
    """The iframe code, as an oEmbed consumer finds it: the claim page's
    discovery link, then the oEmbed document."""
    claim_page = page.request.get(f"{live_server.url}/claims/{slug}/").text()
    link = re.search(
        r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"',
        claim_page,
    )
    assert link is not None
    document = page.request.get(html.unescape(link.group(1))).json()
    assert document["type"] == "rich"
    return document["html"]


@pytest.fixture
def newsroom() -> Iterator[dict[str, str]]:
    """A newsroom's site on another origin (another loopback address, so
    Chromium treats it as a neighbour, not as the public internet): a real
    server, serving as its article whatever ``article["html"]`` holds."""
    article = {"html": ""}

    class Article(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = article["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.2", 0), Article)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    article["origin"] = f"http://127.0.0.2:{server.server_port}"
    yield article
    server.shutdown()
    server.server_close()


def publish_article(newsroom: dict[str, str], iframe: str) -> str:
    """The newsroom's article framing the card; its address."""
    newsroom["html"] = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Newsroom article</title></head>"
        '<body style="margin:0 auto;max-width:40rem;padding:0 8px;font-family:serif">'
        "<main><h1>Fighting near Belgorod</h1>"
        "<p>Our fact-checkers keep this verdict up to date:</p>"
        f"{iframe}<p>The article goes on.</p></main></body></html>"
    )
    return f"{newsroom['origin']}/articles/belgorod"


def card_frame(page):
    return next(frame for frame in page.frames if "/embed/" in frame.url)


def test_an_allowed_newsroom_frames_the_verdict_card(
    live_server, page, axe, artifacts, demo, settings, newsroom
):
    settings.EMBED_ALLOWED_ORIGINS = [newsroom["origin"]]
    claim = Claim.objects.get(slug=BELGOROD)
    article = publish_article(newsroom, embed_code(page, live_server, BELGOROD))

    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.problems.__init__()
        page.goto(article)
        card = page.frame_locator("iframe")

        # the card is shown, readable, inside the newsroom's page
        expect(card.get_by_role("heading", level=1)).to_have_text(claim.text)
        assert card.locator(".badge").inner_text() == "Confirmed"
        frame = card_frame(page)
        box = page.locator("iframe").bounding_box()
        assert box["width"] <= width
        assert frame.evaluate("document.documentElement.scrollWidth") <= box["width"]
        link = card.get_by_role("link", name=re.compile("Evidence and timeline"))
        assert link.get_attribute("href") == f"{live_server.url}/claims/{BELGOROD}/"
        assert link.get_attribute("target") == "_blank"
        assert axe(frame) == [], name
        page.screenshot(path=artifacts / f"newsroom-{name}.png", full_page=True)
        assert not page.problems, page.problems


def test_a_newsroom_not_allowed_cannot_frame_the_card(
    live_server, page, demo, settings, newsroom
):
    settings.EMBED_ALLOWED_ORIGINS = ["https://someone-else.example.org"]
    claim = Claim.objects.get(slug=BELGOROD)
    article = publish_article(newsroom, embed_code(page, live_server, BELGOROD))
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "frame-ancestors" in message.text else None
        ),
    )

    page.goto(article)
    page.wait_for_load_state("load")

    # Chromium refuses the frame: an error page in its place, the card unseen
    frame = page.frames[1]
    assert "/embed/" not in frame.url
    assert claim.text not in frame.content()
    assert page.frame_locator("iframe").get_by_role("heading").count() == 0
    assert any("The request has been blocked" in text for text in refused), refused


def test_the_card_alone_is_accessible_and_fits_a_narrow_frame(
    live_server, page, axe, artifacts, demo
):
    for width in (300, 600):
        page.set_viewport_size({"width": width, "height": 400})
        response = page.goto(f"{live_server.url}/claims/{BELGOROD}/embed/")

        assert response.status == 200
        assert response.headers.get("x-frame-options") is None
        assert axe(page) == [], width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=artifacts / f"card-{width}.png", full_page=True)
    assert not page.problems, page.problems


def test_the_claim_page_offers_the_code_to_copy(
    live_server, page, axe, artifacts, demo
):
    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/claims/{BELGOROD}/")
        code = page.get_by_label("Paste this code into your page")
        expect(code).to_be_hidden()

        page.get_by_text("Embed this verdict").click()

        expect(code).to_be_visible()
        assert code.input_value().startswith(
            f'<iframe src="{live_server.url}/claims/{BELGOROD}/embed/"'
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe(page) == [], name
        code.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / f"claim-embed-code-{name}.png")
    assert not page.problems, page.problems
