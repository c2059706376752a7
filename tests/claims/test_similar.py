"""Near-duplicates of a text: ranked with a score, forgiving spelling like the
search, drafts only for staff; in the API, in the admin's typing panel, its
"Link as duplicate" and the warning on saving a likely duplicate."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.models import Claim, ClaimLink
from claims.search import SIMILAR_MAX_LENGTH
from tests.claims.test_admin import ADD, change_url, empty_inlines
from tests.factories import ClaimFactory, PublishedClaimFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/claims/similar/"
PANEL = reverse("admin:claims_claim_similar")
STRIKE = "A Russian missile strike hit a school in Kharkiv on Monday."


def duplicate_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_duplicate", args=[claim.pk])


@pytest.fixture
def claims(db):
    """The same strike worded twice, another one, and an unrelated claim."""
    return {
        "strike": PublishedClaimFactory(text=STRIKE, slug="strike"),
        "reworded": PublishedClaimFactory(
            text="Russian missile strike hit Kharkiv school.", slug="reworded"
        ),
        "other-strike": PublishedClaimFactory(
            text="A drone strike hit a depot near Sumy.", slug="other-strike"
        ),
        "grain": PublishedClaimFactory(
            text="Grain exports through Odesa rose in May.", slug="grain"
        ),
    }


def test_the_closest_claims_come_first_with_a_score(api, claims):
    response = api().get(URL, {"text": STRIKE})

    assert response.status_code == 200
    found = response.json()
    assert [claim["slug"] for claim in found][:2] == ["strike", "reworded"]
    # a strike elsewhere shares only common words; grain, none
    assert {claim["slug"] for claim in found} == {"strike", "reworded"}
    scores = [claim["score"] for claim in found]
    assert scores[0] == 1.0
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)
    assert found[0] == {
        "slug": "strike",
        "text": STRIKE,
        "status": "unverified",
        "visibility": "published",
        "url": "http://testserver/claims/strike/",
        "score": 1.0,
    }


def test_a_misspelled_word_still_finds_the_claim(api, claims):
    found = api().get(URL, {"text": "Russian misile strike on a Kharkiv school"})

    assert found.json()[0]["slug"] in {"strike", "reworded"}


def test_limit_says_how_many(api, claims):
    found = api().get(URL, {"text": STRIKE, "limit": 1}).json()

    assert [claim["slug"] for claim in found] == ["strike"]


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


@pytest.mark.parametrize(
    "text",
    [
        "Fighting in Demydivka village",
        "Fighting in the village of Демидовка",
        "fighting inside Demidovka village, Belgorod region",
    ],
)
def test_the_demo_village_is_found_in_any_spelling(api, demo, text):
    found = api().get(URL, {"text": text}).json()

    assert found[0]["slug"] == "fighting-in-demidovka"


@pytest.mark.parametrize(
    ("who", "sees_draft"),
    [
        ("anonymous", False),
        ("reader", False),
        ("editor", True),
        ("reviewer", True),
        ("superuser", True),
    ],
)
def test_drafts_are_found_for_staff_only(api, request, claims, who, sees_draft):
    ClaimFactory(text=STRIKE, slug="draft-strike")
    user = None if who == "anonymous" else request.getfixturevalue(who)

    found = api(user).get(URL, {"text": STRIKE}).json()

    assert ("draft-strike" in {claim["slug"] for claim in found}) is sees_draft
    assert "strike" in {claim["slug"] for claim in found}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * (SIMILAR_MAX_LENGTH + 1)}, "text"),
        ({"text": STRIKE, "limit": "0"}, "limit"),
        ({"text": STRIKE, "limit": "21"}, "limit"),
        ({"text": STRIKE, "limit": "many"}, "limit"),
        ({"text": STRIKE, "page": "2"}, "page"),
        ({"text": "a\x00b"}, "text"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(api, claims, query, field):
    response = api().get(URL, query)

    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "text", ["!!! ??? ...", "the the the", "ä" * 2000, "Kharkiv " * 250]
)
def test_odd_text_is_an_answer_not_an_error(api, claims, text):
    response = api().get(URL, {"text": text})

    assert response.status_code == 200


def test_the_same_queries_for_10_or_100_claims(api, editor):
    client = api(editor)
    counts = []
    for rows in (10, 90):
        PublishedClaimFactory.create_batch(rows, text=STRIKE)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"text": STRIKE, "limit": 20})
        assert len(response.json()) == min(Claim.objects.count(), 20)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the admin's panel -----------------------------------------------------------


def test_the_panel_lists_the_closest_claims_with_their_admin_pages(
    client, editor, claims
):
    ClaimFactory(text=STRIKE, slug="draft-strike")
    client.force_login(editor)

    response = client.get(PANEL, {"text": STRIKE})

    assert response.status_code == 200
    results = response.json()["results"]
    slugs = [Claim.objects.get(pk=r["id"]).slug for r in results]
    assert set(slugs[:2]) == {"strike", "draft-strike"}
    first = results[0]
    assert first["url"] == change_url(Claim.objects.get(pk=first["id"]))
    assert first["status_label"] == "Unverified"


def test_the_panel_leaves_out_the_claim_being_edited(client, editor, claims):
    client.force_login(editor)

    response = client.get(PANEL, {"text": STRIKE, "exclude": claims["strike"].pk})

    ids = [r["id"] for r in response.json()["results"]]
    assert claims["strike"].pk not in ids
    assert claims["reworded"].pk in ids


@pytest.mark.parametrize("text", ["", "   ", "x" * (SIMILAR_MAX_LENGTH + 1)])
def test_the_panel_refuses_no_text_or_too_much(client, editor, text):
    client.force_login(editor)

    assert client.get(PANEL, {"text": text}).status_code == 400


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_the_panel_is_for_staff(client, request, claims, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.get(PANEL, {"text": STRIKE})

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_add_and_change_pages_carry_the_panel(client, editor, claims):
    client.force_login(editor)

    add = client.get(ADD).text
    change = client.get(change_url(claims["strike"])).text

    assert f'data-url="{PANEL}"' in add
    assert "claims/desk.js" in add
    assert "data-duplicate-url" not in add
    assert f'data-duplicate-url="{duplicate_url(claims["strike"])}"' in change


def test_link_as_duplicate_links_the_claims_at_the_pages_version(
    client, editor, claims
):
    claim, other = claims["reworded"], claims["strike"]
    client.force_login(editor)

    response = client.post(
        duplicate_url(claim), {"to": other.pk, "version": claim.version}
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(claim)
    link = ClaimLink.objects.get(from_claim=claim)
    assert (link.to_claim, link.kind) == (other, "duplicates")
    claim.refresh_from_db()
    assert claim.version == 2


def test_link_as_duplicate_on_a_stale_page_is_refused_with_a_message(
    client, editor, claims
):
    claim, other = claims["reworded"], claims["strike"]
    services.update_claim(claim, text="Reworded again.", by=editor)
    client.force_login(editor)

    response = client.post(
        duplicate_url(claim), {"to": other.pk, "version": 1}, follow=True
    )

    assert response.status_code == 200
    assert not ClaimLink.objects.exists()
    assert "changed" in " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize("to", ["", "abc", "999999"])
def test_link_as_duplicate_to_no_claim_is_a_message(client, editor, claims, to):
    claim = claims["reworded"]
    client.force_login(editor)

    response = client.post(
        duplicate_url(claim), {"to": to, "version": claim.version}, follow=True
    )

    assert response.status_code == 200
    assert "No such claim to link." in response.text
    assert not ClaimLink.objects.exists()


def test_linking_a_claim_to_itself_is_refused_with_a_message(client, editor, claims):
    claim = claims["strike"]
    client.force_login(editor)

    response = client.post(
        duplicate_url(claim), {"to": claim.pk, "version": claim.version}, follow=True
    )

    assert response.status_code == 200
    assert "A claim cannot be linked to itself." in response.text
    assert not ClaimLink.objects.exists()


def test_link_as_duplicate_is_refused_to_readers(client, reader, claims):
    claim = claims["reworded"]
    client.force_login(reader)

    client.post(duplicate_url(claim), {"to": claims["strike"].pk, "version": 1})

    assert not ClaimLink.objects.exists()


def test_saving_a_likely_duplicate_warns_naming_the_claim(client, editor, claims):
    client.force_login(editor)

    response = client.post(
        ADD, {"text": STRIKE, "slug": "", **empty_inlines()}, follow=True
    )

    assert response.status_code == 200
    warnings = [
        str(m) for m in response.context["messages"] if m.level_tag == "warning"
    ]
    assert len(warnings) == 1
    assert "This claim may duplicate" in warnings[0]
    assert change_url(claims["strike"]) in warnings[0]
    assert change_url(claims["grain"]) not in warnings[0]


def test_saving_a_new_claim_unlike_any_other_warns_of_nothing(client, editor, claims):
    client.force_login(editor)

    response = client.post(
        ADD,
        {"text": "Power was restored in Zaporizhzhia.", "slug": "", **empty_inlines()},
        follow=True,
    )

    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]
