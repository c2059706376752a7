"""The verdict card other sites frame, and the oEmbed endpoint that hands out
its code: content, who may frame it, drafts, caching, query counts, bad input."""

import datetime
import html as html_lib
import json
import re
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from claims import services
from claims.models import Claim, Status
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    EvidenceFactory,
    InReviewClaimFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
    StatusChangeFactory,
    UserFactory,
)
from tests.test_settings import manage

pytestmark = pytest.mark.django_db

BELGOROD = "ukrainian-forces-operating-in-belgorod-region"
REPELLED = "all-ukrainian-incursions-into-belgorod-repelled"


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def visible(html: str) -> str:
    """The page's text, tags dropped and whitespace collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def card(client, slug: str, **headers):
    return client.get(f"/claims/{slug}/embed/", headers=headers)


def policy(response) -> dict[str, list[str]]:
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# The card ------------------------------------------------------------------


def test_card_shows_the_claim_its_verdict_and_who_asserts_and_denies(client, demo):
    claim = Claim.objects.get(slug=BELGOROD)
    response = card(client, BELGOROD)
    html = response.content.decode()
    text = visible(html)

    assert response.status_code == 200
    assert claim.text in text
    assert 'badge-confirmed">Confirmed<' in html
    asserted = text[text.index("Asserted by") : text.index("Denied by")]
    assert "Institute for the Study of War (B)" in asserted
    assert "Volodymyr Zelensky (C)" in asserted
    assert "Denied by Russian Ministry of Defence (D) Last changed" in text
    # No site chrome, no script: a card.
    assert "<header" not in html
    assert "<nav" not in html
    assert "<script" not in html
    assert '<meta name="robots" content="noindex">' in html


def test_card_links_back_to_the_claim_page_in_a_new_tab(client, demo):
    html = card(client, BELGOROD).content.decode()

    link = re.search(r'<a href="([^"]+)" target="_blank" rel="noopener">', html)
    assert link is not None
    assert link.group(1) == f"http://testserver/claims/{BELGOROD}/"
    assert "Verifier" in visible(html)


def test_card_names_the_publisher(client, settings):
    settings.PUBLISHER_NAME = "Kyiv Desk"
    claim = PublishedClaimFactory()

    assert "Kyiv Desk" in visible(card(client, claim.slug).content.decode())


def test_card_names_a_few_sources_then_counts_the_rest(client):
    claim = PublishedClaimFactory()
    for n in range(5):
        source = SourceFactory(name=f"Speaker {n}", reliability="B")
        StatementFactory(claim=claim, source=source, stance="asserts")
        # A source that repeats itself counts once.
        StatementFactory(
            claim=claim,
            source=source,
            stance="asserts",
            stated_on=datetime.date(2025, 3, 19),
        )
    StatementFactory(claim=claim, source=SourceFactory(name="Denier"), stance="denies")

    text = visible(card(client, claim.slug).content.decode())

    asserted = text[text.index("Asserted by") : text.index("Denied by")]
    assert asserted.count("Speaker") == 3
    assert "+2 more" in asserted
    assert "Denied by Denier (C)" in text
    assert text.count("more") == 1


def test_card_of_an_unattributed_claim_says_so(client):
    claim = PublishedClaimFactory()

    text = visible(card(client, claim.slug).content.decode())

    assert "Asserted by no source yet" in text
    assert "Denied by no source yet" in text
    assert 'badge-unverified">Unverified<' in card(client, claim.slug).content.decode()


def test_card_says_when_the_verdict_was_last_changed_and_corrected(client, demo):
    claim = Claim.objects.get(slug=REPELLED)
    correction = claim.status_changes.filter(is_correction=True).latest("changed_at")

    text = visible(card(client, REPELLED).content.decode())

    assert f"Last changed {claim.updated_at:%-d %B %Y}" in text
    assert "Corrected" in text
    assert f"corrected {correction.changed_at:%-d %B %Y} after publication" in text


def test_an_uncorrected_card_says_nothing_of_corrections(client):
    claim = PublishedClaimFactory()

    assert "Corrected" not in visible(card(client, claim.slug).content.decode())


# Drafts ----------------------------------------------------------------------


@pytest.mark.parametrize("factory", [ClaimFactory, InReviewClaimFactory])
@pytest.mark.parametrize("role", ["anonymous", "reader", "editor", "reviewer"])
def test_no_one_gets_a_card_of_an_unpublished_claim(request, factory, role):
    claim = factory(text="Unpublished verdict.")
    client = (
        Client() if role == "anonymous" else signed_in(request.getfixturevalue(role))
    )

    response = card(client, claim.slug)

    assert response.status_code == 404
    assert "Unpublished verdict." not in response.content.decode()
    assert "Verdict not available" in visible(response.content.decode())
    assert "ETag" not in response
    assert "no-cache" in response["Cache-Control"]


def test_a_claim_taken_off_the_site_loses_its_card(client, reviewer):
    claim = PublishedClaimFactory(text="Soon withdrawn.")
    assert card(client, claim.slug).status_code == 200

    services.unpublish_claim(claim, by=reviewer)
    response = card(client, claim.slug)

    assert response.status_code == 404
    assert "Soon withdrawn." not in response.content.decode()


def test_a_card_of_no_claim_is_a_404(client):
    assert card(client, "no-such-claim").status_code == 404


def test_the_card_refuses_writes(client):
    claim = PublishedClaimFactory()

    assert client.post(f"/claims/{claim.slug}/embed/").status_code == 405


# Who may frame it ----------------------------------------------------------------


def test_by_default_only_the_site_itself_may_frame_the_card(client, settings):
    settings.EMBED_ALLOWED_ORIGINS = []
    claim = PublishedClaimFactory()

    response = card(client, claim.slug)

    assert "X-Frame-Options" not in response
    assert policy(response)["frame-ancestors"] == ["'self'"]
    # The rest of the policy is the site's.
    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["default-src"] == ["'self'"]


def test_the_listed_origins_may_frame_the_card(client, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["https://news.example.org", "https://*.cms.test"]
    claim = PublishedClaimFactory()

    response = card(client, claim.slug)

    assert policy(response)["frame-ancestors"] == [
        "'self'",
        "https://news.example.org",
        "https://*.cms.test",
    ]


def test_a_star_lets_any_site_frame_the_card(client, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["*"]
    claim = PublishedClaimFactory()

    assert policy(card(client, claim.slug))["frame-ancestors"] == ["*"]


def test_a_changed_setting_applies_to_a_card_already_cached(client, settings):
    claim = PublishedClaimFactory()
    settings.EMBED_ALLOWED_ORIGINS = []
    card(client, claim.slug)

    settings.EMBED_ALLOWED_ORIGINS = ["https://news.example.org"]
    again = card(client, claim.slug)

    assert policy(again)["frame-ancestors"] == ["'self'", "https://news.example.org"]
    assert "X-Frame-Options" not in again


def test_the_not_available_card_may_be_framed_too(client, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["https://news.example.org"]

    response = card(client, "no-such-claim")

    assert response.status_code == 404
    assert "X-Frame-Options" not in response
    assert "https://news.example.org" in policy(response)["frame-ancestors"]


def test_the_claim_page_itself_still_refuses_to_be_framed(client, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["*"]
    claim = PublishedClaimFactory()

    response = client.get(claim.get_absolute_url())

    assert response["X-Frame-Options"] == "DENY"
    assert policy(response)["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    "value",
    [
        "https://news.example.org; script-src *",
        "news.example.org",
        "javascript:alert(1)",
        "https://news.example.org/path",
    ],
)
def test_an_origin_that_is_not_one_stops_the_start(value):
    result = manage("check", DEBUG="1", EMBED_ALLOWED_ORIGINS=value)

    assert result.returncode != 0
    assert "EMBED_ALLOWED_ORIGINS" in result.stderr


def test_origins_are_read_from_the_environment():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.EMBED_ALLOWED_ORIGINS)",
        DEBUG="1",
        EMBED_ALLOWED_ORIGINS="https://news.example.org/, http://localhost:8080",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "['https://news.example.org', 'http://localhost:8080']"
    )


# Caching ------------------------------------------------------------------------


def test_card_answers_a_repeated_request_with_304(client):
    claim = PublishedClaimFactory()
    first = card(client, claim.slug)

    again = card(client, claim.slug, **{"If-None-Match": first["ETag"]})

    assert first["Cache-Control"] == "public, max-age=60"
    assert again.status_code == 304
    assert again.content == b""
    # The card and the claim page are two pages: two validators.
    assert client.get(claim.get_absolute_url())["ETag"] != first["ETag"]


def test_a_new_verdict_shows_on_the_card_at_once(client, reviewer):
    claim = PublishedClaimFactory(text="Being re-judged.")
    evidence = EvidenceFactory(claim=claim)
    first = card(client, claim.slug)
    assert 'badge-unverified">' in first.content.decode()

    services.change_status(
        claim,
        to=Status.DISPUTED,
        rationale="Sources conflict.",
        evidence=[evidence],
        by=reviewer,
    )
    again = card(client, claim.slug, **{"If-None-Match": first["ETag"]})

    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    html = again.content.decode()
    assert 'badge-disputed">Disputed<' in html
    assert "Corrected" in visible(html)


def test_a_new_statement_shows_on_the_card_at_once(client, reviewer):
    claim = PublishedClaimFactory()
    card(client, claim.slug)

    StatementFactory(claim=claim, source=SourceFactory(name="Late Speaker"))

    assert "Late Speaker" in visible(card(client, claim.slug).content.decode())


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_card_makes_no_more_queries_for_more_statements(
    client, django_assert_num_queries
):
    claim = PublishedClaimFactory()
    user = UserFactory()
    document = DocumentFactory(publisher=None)
    url = f"/claims/{claim.slug}/embed/"

    def grow(n: int) -> None:
        for _ in range(n):
            for stance in ("asserts", "denies"):
                StatementFactory(
                    claim=claim,
                    source=SourceFactory(),
                    stance=stance,
                    document=document,
                )
            evidence = EvidenceFactory(claim=claim)
            StatusChangeFactory(claim=claim, changed_by=user).evidence.add(evidence)

    grow(3)
    with_three = queries(client, url)
    grow(30)

    with django_assert_num_queries(with_three):
        client.get(url)
    # read again, it is the stored card, after one query for its validator
    with django_assert_num_queries(1):
        client.get(url)
    assert with_three <= 6


# oEmbed --------------------------------------------------------------------------


def oembed(client, **params):
    return client.get("/oembed/", params)


def test_oembed_answers_a_rich_document_framing_the_card(client, settings):
    settings.PUBLISHER_NAME = "Kyiv Desk"
    settings.PUBLISHER_URL = "https://desk.example.org/"
    claim = PublishedClaimFactory(text="Bridges were hit <overnight>.")

    response = oembed(
        client, url=f"http://testserver/claims/{claim.slug}/", format="json"
    )
    data = response.json()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert data == {
        "version": "1.0",
        "type": "rich",
        "provider_name": "Kyiv Desk",
        "provider_url": "https://desk.example.org/",
        "title": "Bridges were hit <overnight>.",
        "html": data["html"],
        "width": 560,
        "height": 340,
        "cache_age": 86400,
    }
    iframe = data["html"]
    assert iframe.startswith("<iframe ")
    assert iframe.endswith("</iframe>")
    assert f'src="http://testserver/claims/{claim.slug}/embed/"' in iframe
    assert 'width="560" height="340"' in iframe
    assert 'title="Verdict: Bridges were hit &lt;overnight&gt;."' in iframe
    assert "<overnight>" not in iframe


def test_oembed_provider_is_the_site_without_a_publisher_url(client, settings):
    settings.PUBLISHER_URL = ""
    claim = PublishedClaimFactory()

    data = oembed(client, url=f"http://testserver/claims/{claim.slug}/").json()

    assert data["provider_url"] == "http://testserver/"


def test_the_framed_address_serves_the_card(client):
    claim = PublishedClaimFactory(text="Framed claim.")
    data = oembed(client, url=f"http://testserver{claim.get_absolute_url()}").json()

    src = re.search(r'src="([^"]+)"', data["html"]).group(1)
    framed = client.get(urlsplit(src).path)

    assert framed.status_code == 200
    assert "Framed claim." in framed.content.decode()


def test_oembed_keeps_within_the_consumers_limits(client):
    claim = PublishedClaimFactory()
    url = f"http://testserver/claims/{claim.slug}/"

    small = oembed(client, url=url, maxwidth="320", maxheight="240").json()
    large = oembed(client, url=url, maxwidth="2000", maxheight="2000").json()

    assert (small["width"], small["height"]) == (320, 240)
    assert 'width="320" height="240"' in small["html"]
    assert (large["width"], large["height"]) == (560, 340)


def test_oembed_takes_the_cards_address_and_any_query_on_the_page(client):
    claim = PublishedClaimFactory()

    for url in [
        f"http://testserver/claims/{claim.slug}/embed/",
        f"http://testserver/claims/{claim.slug}/?as_of=2025-03-20",
        f"https://TESTSERVER/claims/{claim.slug}/#verdict-heading",
    ]:
        assert oembed(client, url=url).status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "http://elsewhere.example.org/claims/{slug}/",
        "http://testserver.evil.example/claims/{slug}/",
        "http://testserver/claims/no-such-claim/",
        "http://testserver/sources/{slug}/",
        "http://testserver/",
        "http://testserver/nowhere/at/all/",
        "http://testserver/claims/{draft}/",
    ],
)
def test_oembed_has_nothing_for_an_address_that_is_no_published_claim_of_ours(
    client, url
):
    claim = PublishedClaimFactory()
    draft = ClaimFactory(text="Secret draft.")

    response = oembed(client, url=url.format(slug=claim.slug, draft=draft.slug))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "Secret draft." not in response.content.decode()


@pytest.mark.parametrize("role", ["reader", "editor", "reviewer"])
def test_oembed_has_nothing_for_a_draft_whoever_asks(request, role):
    draft = InReviewClaimFactory(text="Secret draft.")

    response = signed_in(request.getfixturevalue(role)).get(
        "/oembed/", {"url": f"http://testserver/claims/{draft.slug}/"}
    )

    assert response.status_code == 404
    assert "Secret draft." not in response.content.decode()


@pytest.mark.parametrize("fmt", ["xml", "yaml", ""])
def test_oembed_in_another_format_is_not_implemented(client, fmt):
    claim = PublishedClaimFactory()

    response = oembed(client, url=f"http://testserver/claims/{claim.slug}/", format=fmt)

    assert response.status_code == 501
    assert response.json()["detail"] == "Only format=json is served."


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"url": ""},
        {"url": "not an address"},
        {"url": "ftp://testserver/claims/x/"},
        {"url": "javascript:alert(1)//testserver/claims/x/"},
        {"url": "http://[::1/claims/x/"},
        {"url": "http://testserver/claims/x/\x00"},
        {"url": "http://testserver/claims/" + "x" * 3000 + "/"},
        {"url": "http://testserver/claims/{slug}/", "maxwidth": "wide"},
        {"url": "http://testserver/claims/{slug}/", "maxwidth": "0"},
        {"url": "http://testserver/claims/{slug}/", "maxheight": "-5"},
        {"url": "http://testserver/claims/{slug}/", "maxheight": "1e3"},
        {"url": "http://testserver/claims/{slug}/", "maxwidth": "٣٠٠"},
        {"url": "http://testserver/claims/{slug}/", "maxwidth": "99999999999"},
    ],
)
def test_oembed_refuses_a_missing_or_broken_request_with_a_clear_400(client, params):
    claim = PublishedClaimFactory()
    params = {key: value.format(slug=claim.slug) for key, value in params.items()}

    response = oembed(client, **params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]


def test_oembed_refuses_writes(client):
    assert client.post("/oembed/").status_code == 405


def test_oembed_may_be_read_from_a_browser_on_another_site(client):
    claim = PublishedClaimFactory()

    response = client.get(
        "/oembed/",
        {"url": f"http://testserver/claims/{claim.slug}/"},
        headers={"Origin": "https://news.example.org"},
    )

    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=60"


def test_oembed_reads_the_claim_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    claim = PublishedClaimFactory()
    for _ in range(20):
        StatementFactory(claim=claim)

    with django_assert_max_num_queries(1):
        response = oembed(client, url=f"http://testserver/claims/{claim.slug}/")

    assert response.status_code == 200


# On the claim page -------------------------------------------------------------


def discovery(html: str) -> str | None:
    link = re.search(
        r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', html
    )
    return html_lib.unescape(link.group(1)) if link else None


def test_claim_page_links_its_oembed_document(client):
    claim = PublishedClaimFactory()

    href = discovery(client.get(claim.get_absolute_url()).content.decode())

    assert href is not None
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://testserver/oembed/"
    assert parse_qs(parts.query) == {
        "url": [f"http://testserver/claims/{claim.slug}/"],
        "format": ["json"],
    }
    assert client.get(href).json()["type"] == "rich"


def test_claim_page_offers_the_code_oembed_gives(client):
    claim = PublishedClaimFactory()
    html = client.get(claim.get_absolute_url()).content.decode()

    offered = re.search(r'<input type="text" id="embed-code" value="([^"]+)"', html)
    given = oembed(client, url=f"http://testserver/claims/{claim.slug}/").json()

    assert "<details" in html
    assert "Embed this verdict" in html
    assert offered is not None
    assert html_lib.unescape(offered.group(1)) == given["html"]
    assert "<iframe" not in html  # shown as code, never as a frame


def test_a_drafts_preview_offers_no_embed(editor):
    claim = ClaimFactory()

    response = signed_in(editor).get(claim.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert discovery(html) is None
    assert "Embed this verdict" not in html


def test_oembed_document_is_valid_json_with_text_in_its_own_script(client):
    claim = PublishedClaimFactory(text="Заява про Бєлгород.")

    response = oembed(client, url=f"http://testserver/claims/{claim.slug}/")

    assert "Заява про Бєлгород." in response.content.decode()
    assert json.loads(response.content)["title"] == "Заява про Бєлгород."
