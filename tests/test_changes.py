"""The change log: one entry per change, written in the change's transaction,
and ``GET /api/v1/changes/``, the stream each reader may follow."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from claims import services
from claims.models import Claim, Status
from sources.models import Source
from tests.factories import (
    DocumentFactory,
    EventFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
)
from verifier.changes.models import TYPES, Change

pytestmark = pytest.mark.django_db

URL = "/api/v1/changes/"


def since(mark: int) -> list[tuple[str, int, int | None]]:
    """The entries written after ``mark``: (type, object id, version)."""
    return list(
        Change.objects.filter(pk__gt=mark)
        .order_by("pk")
        .values_list("type", "object_id", "version")
    )


def last_id() -> int:
    return Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def document(db):
    return DocumentFactory()


@pytest.fixture
def draft(editor):
    return services.create_claim(by=editor, text="Troops entered Sudzha.")


def _published(reviewer, editor, text="The bridge at Glushkovo is down."):
    claim = services.create_claim(by=editor, text=text)
    services.submit_claim(claim, by=editor)
    services.publish_claim(claim, by=reviewer)
    return claim


# Writing the log


def test_each_claim_step_writes_one_entry_for_its_version(editor, reviewer, document):
    mark = last_id()
    claim = services.create_claim(by=editor, text="Troops entered Sudzha.")
    services.update_claim(claim, by=editor, text="Troops entered Sudzha at dawn.")
    evidence = services.add_evidence(
        claim, document=document, stance="supports", by=editor
    )
    services.change_status(
        claim,
        to=Status.DISPUTED,
        rationale="Reports conflict.",
        evidence=[evidence],
        by=editor,
    )
    services.submit_claim(claim, by=editor)
    services.return_claim(claim, by=reviewer, note="Needs a second source.")
    services.submit_claim(claim, by=editor)
    services.publish_claim(claim, by=reviewer)
    services.assign_claim(claim, to=editor, by=reviewer)
    services.unpublish_claim(claim, by=reviewer)

    assert since(mark) == [
        ("claim.created", claim.pk, 1),
        ("claim.updated", claim.pk, 2),
        ("claim.updated", claim.pk, 3),
        ("claim.status_changed", claim.pk, 4),
        ("claim.submitted", claim.pk, 5),
        ("claim.returned", claim.pk, 6),
        ("claim.submitted", claim.pk, 7),
        ("claim.published", claim.pk, 8),
        ("claim.assigned", claim.pk, 9),
        ("claim.unpublished", claim.pk, 10),
    ]
    claim.refresh_from_db()
    assert claim.version == 10
    entries = Change.objects.filter(pk__gt=mark).order_by("pk")
    assert [entry.public for entry in entries] == [False] * 7 + [True, True, True]
    assert {entry.by for entry in entries} == {editor, reviewer}
    assert {entry.slug for entry in entries} == {claim.slug}


def test_a_deletion_is_one_entry_public_only_for_a_published_claim(editor, reviewer):
    draft = services.create_claim(by=editor, text="A draft that goes.")
    published = _published(reviewer, editor)
    mark = last_id()

    services.delete_claim(draft, by=reviewer)
    services.delete_claim(published, by=reviewer)

    entries = list(Change.objects.filter(pk__gt=mark).order_by("pk"))
    assert [(e.type, e.slug, e.public) for e in entries] == [
        ("claim.deleted", "a-draft-that-goes", False),
        ("claim.deleted", published.slug, True),
    ]


def test_a_link_is_an_update_of_both_claims_and_publishing_shows_it(editor, reviewer):
    one = _published(reviewer, editor, "One claim.")
    other = services.create_claim(by=editor, text="Another claim.")
    mark = last_id()

    link = services.link_claims(other, one, kind="supports", by=editor)
    # A published claim does not show a link to a draft: only the draft changes.
    assert since(mark) == [("claim.updated", other.pk, 2)]

    mark = last_id()
    services.submit_claim(other, by=editor)
    services.publish_claim(other, by=reviewer)
    # Now the published claim shows the link: a new version of it too.
    assert since(mark) == [
        ("claim.submitted", other.pk, 3),
        ("claim.published", other.pk, 4),
        ("claim.updated", one.pk, one.version + 1),
    ]

    mark = last_id()
    services.remove_part(link, by=editor)
    assert [row[:2] for row in since(mark)] == [
        ("claim.updated", other.pk),
        ("claim.updated", one.pk),
    ]
    assert all(Change.objects.filter(pk__gt=mark).values_list("public", flat=True))


def test_statements_are_updates_of_their_claim(editor, reviewer, document):
    claim = _published(reviewer, editor)
    source = SourceFactory()
    mark = last_id()

    statement = services.attribute_statement(
        claim,
        source=source,
        stance="asserts",
        stated_on=datetime.date(2025, 3, 18),
        quote="We hold the bridge.",
        by=editor,
    )
    statement.quote = "We hold the bridge now."
    services.save_part(statement, by=editor)
    services.save_part(statement, by=editor)  # nothing changes: no version
    services.remove_part(statement, by=editor)

    assert since(mark) == [
        ("claim.updated", claim.pk, 4),
        ("claim.updated", claim.pk, 5),
        ("claim.updated", claim.pk, 6),
    ]


def test_an_edit_that_changes_nothing_writes_nothing(draft, editor):
    mark = last_id()
    services.update_claim(draft, by=editor, text=draft.text)
    services.assign_claim(draft, to=None, by=editor)
    assert since(mark) == []


@pytest.mark.parametrize(
    "refused",
    [
        pytest.param(
            lambda claim, editor, reader: services.update_claim(
                claim, by=reader, text="Reworded."
            ),
            id="permission denied",
        ),
        pytest.param(
            lambda claim, editor, reader: services.publish_claim(claim, by=editor),
            id="role cannot publish",
        ),
        pytest.param(
            lambda claim, editor, reader: services.update_claim(
                claim, by=editor, expected_version=claim.version - 1, text="Old."
            ),
            id="stale version",
        ),
        pytest.param(
            lambda claim, editor, reader: services.change_status(
                claim, to=Status.DISPUTED, rationale="", evidence=[], by=editor
            ),
            id="invalid status change",
        ),
        pytest.param(
            lambda claim, editor, reader: services.unpublish_claim(claim, by=editor),
            id="not published",
        ),
    ],
)
def test_a_refused_change_writes_no_entry(refused, editor, reader):
    claim = services.create_claim(by=editor, text="Troops entered Sudzha.")
    services.update_claim(claim, by=editor, text="Troops entered Sudzha at dawn.")
    mark = last_id()

    with pytest.raises((ValidationError, PermissionDenied, services.StaleVersion)):
        refused(claim, editor, reader)

    assert since(mark) == []


def test_a_rolled_back_transaction_leaves_no_entry(editor, reviewer):
    claim = _published(reviewer, editor)
    mark = last_id()

    def fails_after_the_changes() -> None:
        with transaction.atomic():
            services.update_claim(claim, by=editor, text="A new wording.")
            services.unpublish_claim(claim, by=reviewer)
            SourceFactory()
            raise RuntimeError("the request failed after the changes")

    with pytest.raises(RuntimeError):
        fails_after_the_changes()

    assert since(mark) == []
    claim.refresh_from_db()
    assert (claim.text, claim.is_published) == (
        "The bridge at Glushkovo is down.",
        True,
    )


def test_reference_objects_log_their_saves_and_deletions(reviewer):
    mark = last_id()
    source = SourceFactory(is_reference=True)
    private = SourceFactory()
    event = EventFactory()
    place = PlaceFactory()
    document = DocumentFactory(publisher=private)
    source.name = "Renamed"
    source.save()
    document_id, private_id = document.pk, private.pk
    document.delete()
    private.delete()

    rows = list(
        Change.objects.filter(pk__gt=mark)
        .order_by("pk")
        .values_list("type", "object_id", "version", "public")
    )
    assert rows == [
        ("source.created", source.pk, 1, True),
        ("source.created", private_id, 1, False),
        ("event.created", event.pk, 1, event.pk in _public_ids(event)),
        ("place.created", place.pk, 1, place.pk in _public_ids(place)),
        ("document.created", document_id, 1, False),
        ("source.updated", source.pk, 2, True),
        ("document.deleted", document_id, 1, False),
        ("source.deleted", private_id, 1, False),
    ]


def test_a_place_is_public_through_a_published_claim_about_a_place_inside_it(
    editor, reviewer
):
    country = PlaceFactory(kind="country")
    region = PlaceFactory(kind="region", parent=country)
    village = PlaceFactory(parent=region)
    quiet = PlaceFactory(kind="country")
    claim = _published(reviewer, editor)
    claim.places.add(village)
    mark = last_id()
    for place in (country, region, village, quiet):
        place.name += " (renamed)"
        place.save()

    public = dict(Change.objects.filter(pk__gt=mark).values_list("object_id", "public"))

    assert public == {
        country.pk: True,
        region.pk: True,
        village.pk: True,
        quiet.pk: False,
    }
    assert {p.pk for p in (country, region, village)} <= _public_ids(country)
    assert quiet.pk not in _public_ids(quiet)


def _public_ids(obj) -> set[int]:
    return set(type(obj).objects.public().values_list("pk", flat=True))


def test_a_source_saved_through_the_api_names_who_saved_it(api, editor):
    mark = last_id()
    response = api(editor).post(
        "/api/v1/sources/",
        {
            "name": "ISW",
            "slug": "isw",
            "kind": "think_tank",
            "affiliation": "independent",
            "reliability": "B",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    entry = Change.objects.get(pk__gt=mark, type="source.created")
    assert (entry.slug, entry.by) == ("isw", editor)


# Reading the stream


def test_anonymous_readers_see_no_draft_and_a_tombstone_for_a_removed_claim(
    api, editor, reviewer
):
    draft = services.create_claim(by=editor, text="A secret draft.")
    services.update_claim(draft, by=editor, text="A secret draft, reworded.")
    published = _published(reviewer, editor)
    services.unpublish_claim(published, by=reviewer)
    gone = _published(reviewer, editor, "A claim that is deleted.")
    services.delete_claim(gone, by=reviewer)

    response = api().get(URL, {"types": ",".join(t for t in TYPES if "claim" in t)})

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(e["type"], e["object"]) for e in body["results"]] == [
        (
            "claim.published",
            {"type": "claim", "id": published.pk, "slug": published.slug, "version": 3},
        ),
        (
            "claim.removed",
            {"type": "claim", "id": published.pk, "slug": published.slug},
        ),
        (
            "claim.published",
            {"type": "claim", "id": gone.pk, "slug": gone.slug, "version": 3},
        ),
        ("claim.removed", {"type": "claim", "id": gone.pk, "slug": gone.slug}),
    ]
    assert "secret" not in response.content.decode()
    assert body["more"] is False


def test_the_public_read_an_assignment_as_the_new_version_it_is(api, editor, reviewer):
    published = _published(reviewer, editor)
    draft = services.create_claim(by=editor, text="A draft in someone's hands.")
    mark = last_id()
    services.assign_claim(published, to=editor, by=reviewer)
    services.assign_claim(draft, to=editor, by=reviewer)

    public = api().get(URL, {"after": mark}).json()["results"]
    staff = api(editor).get(URL, {"after": mark}).json()["results"]
    updates = api().get(URL, {"after": mark, "types": "claim.updated"}).json()

    assert [(e["type"], e["object"]["id"], e["object"]["version"]) for e in public] == [
        ("claim.updated", published.pk, published.version)
    ]
    assert [e["type"] for e in staff] == ["claim.assigned", "claim.assigned"]
    assert [e["object"]["id"] for e in updates["results"]] == [published.pk]
    assert "hands" not in str(public)


def test_staff_see_every_entry_with_its_real_type(api, editor, reviewer):
    mark = last_id()
    draft = services.create_claim(by=editor, text="A draft.")
    published = _published(reviewer, editor)
    services.unpublish_claim(published, by=reviewer)

    body = api(editor).get(URL, {"after": mark}).json()

    assert [(e["type"], e["object"]["id"]) for e in body["results"]] == [
        ("claim.created", draft.pk),
        ("claim.created", published.pk),
        ("claim.submitted", published.pk),
        ("claim.published", published.pk),
        ("claim.unpublished", published.pk),
    ]
    assert body["results"][-1]["object"]["version"] == 4


def test_a_signed_in_reader_without_a_role_reads_as_the_public(
    api, reader, editor, reviewer
):
    services.create_claim(by=editor, text="A draft.")
    published = _published(reviewer, editor)
    services.unpublish_claim(published, by=reviewer)

    body = api(reader).get(URL, {"types": "claim.removed,claim.unpublished"}).json()

    assert [(e["type"], e["object"]["id"]) for e in body["results"]] == [
        ("claim.removed", published.pk)
    ]


def test_types_filter_and_unknown_types(api, editor, reviewer):
    mark = last_id()
    SourceFactory(is_reference=True)
    _published(reviewer, editor)

    body = api(editor).get(URL, {"after": mark, "types": "source.created"}).json()
    assert [e["type"] for e in body["results"]] == ["source.created"]

    before = Change.objects.count()
    response = api(editor).get(URL, {"types": "claim.updated,claim.exploded"})
    assert response.status_code == 400
    message = response.json()["errors"]["types"][0]
    assert "claim.exploded" in message
    assert "claim.removed" in message
    assert "source.deleted" in message
    assert Change.objects.count() == before


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "abc"}, "after"),
        ({"after": str(2**63)}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"types": ","}, "types"),
        ({"cursor": "x"}, "cursor"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, query, parameter):
    response = api().get(URL, query)
    assert response.status_code == 400, response.content
    assert parameter in response.json()["errors"]


def test_following_next_reads_every_entry_once_in_pages(api, editor):
    for n in range(7):
        SourceFactory(is_reference=True, slug=f"reference-{n}")
    everything = list(
        Change.objects.filter(public=True).order_by("pk").values_list("pk", flat=True)
    )
    client = api()

    seen, url, pages = [], f"{URL}?limit=3", 0
    while True:
        body = client.get(url).json()
        pages += 1
        seen += [entry["id"] for entry in body["results"]]
        url = body["next"]
        if not body["more"]:
            break

    assert seen == everything
    assert pages == -(-len(everything) // 3) or pages == len(everything) // 3 + 1
    # The last next link is where to poll: nothing new yet, then the new entry.
    assert client.get(url).json()["results"] == []
    source = SourceFactory(is_reference=True)
    assert [e["object"]["id"] for e in client.get(url).json()["results"]] == [source.pk]


def test_a_page_is_not_sent_again_while_it_is_the_same(api, editor):
    SourceFactory(is_reference=True)
    client = api()
    first = client.get(URL)
    etag = first["ETag"]

    again = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304

    SourceFactory(is_reference=True)
    changed = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert len(changed.json()["results"]) == len(first.json()["results"]) + 1
    # Staff read the same address differently: another ETag.
    assert api(editor).get(URL)["ETag"] != etag


@pytest.mark.parametrize("role", ["anonymous", "editor"])
def test_a_page_costs_the_same_queries_whatever_its_length(
    api, editor, reviewer, role, django_assert_max_num_queries
):
    client = api(None if role == "anonymous" else editor)
    client.get(URL)  # the token's first use is counted apart
    for n in range(3):
        _published(reviewer, editor, f"Claim {n}.")
    # The token, the user's permissions, the page.
    with django_assert_max_num_queries(6) as few:
        client.get(URL, {"types": "claim.published,claim.removed"})
    for n in range(3, 30):
        _published(reviewer, editor, f"Claim {n}.")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, {"types": "claim.published,claim.removed"})
    assert len(response.json()["results"]) == 30


def test_load_demo_is_announced_through_the_services(db):
    """The demo data goes through the domain layer, so its claims are in the
    log, each published one with a public entry of its current version."""
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)

    for claim in Claim.objects.published():
        last = Change.objects.filter(
            object_id=claim.pk, type__startswith="claim.", public=True
        ).last()
        assert last is not None, claim.slug
        assert last.version == claim.version
    assert (
        Change.objects.filter(type="source.created").count() == Source.objects.count()
    )


def test_a_published_claims_factory_row_is_not_in_the_log(db):
    """Rows written around the domain layer (factories, bulk loads) are not
    announced: only the services' and the models' saves are."""
    claim = PublishedClaimFactory()
    assert not Change.objects.filter(type__startswith="claim.", object_id=claim.pk)


def test_staff_browse_the_stream_as_a_page(client, editor):
    SourceFactory(is_reference=True)
    client.force_login(editor)

    response = client.get(URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert "source.created" in response.content.decode()
