"""The admin's History pages say what each version changed, in words, with
who changed it and when: one row per save, labels rather than codes."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.admin.history import stale_messages
from claims.models import Status
from sources.models import Source
from tests.factories import (
    DocumentFactory,
    EventFactory,
    PlaceFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def history_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk])


def history_rows(client, obj) -> list[list[str]]:
    """The History page's rows, each a list of its cells' text."""
    response = client.get(history_url(obj))
    assert response.status_code == 200
    table = re.search(r'<table id="change-history".*?</table>', response.text, re.S)
    assert table, "the History page has its table"
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells])
    return [[cell.replace("&#x27;", "'") for cell in row] for row in rows]


def changes(rows: list[list[str]]) -> list[str]:
    return [row[-1] for row in rows]


@pytest.fixture
def claim(editor):
    place = PlaceFactory(name="Demidovka", slug="demidovka")
    return services.create_claim(
        by=editor,
        text="Fighting in Demidovka.",
        slug="",
        event=EventFactory(title="Belgorod incursion"),
        places=[place],
    )


def test_a_new_claim_reads_as_created_once_with_its_places(client, editor, claim):
    client.force_login(editor)

    rows = history_rows(client, claim)

    assert len(rows) == 1, "one row for the creation and its places"
    assert rows[0][0] == "1"  # the version
    assert "Created" in rows[0][-1]
    assert "Places: added Demidovka" in rows[0][-1]
    assert "editor" in rows[0]


def test_every_kind_of_change_is_told_in_words(client, editor, reviewer, claim):
    evidence = services.add_evidence(
        claim,
        document=DocumentFactory(title="Drone footage"),
        stance="supports",
        by=editor,
    )
    services.change_status(
        claim,
        to=Status.DISPUTED,
        rationale="Sources conflict.",
        evidence=[evidence],
        by=editor,
    )
    services.submit_claim(claim, by=editor)
    services.publish_claim(claim, by=reviewer)
    services.update_claim(
        claim, by=reviewer, text="Fighting inside Demidovka.", rationale="Clearer."
    )
    services.update_claim(
        claim, by=editor, places=[PlaceFactory(name="Prilesye", slug="prilesye")]
    )
    services.unpublish_claim(claim, by=reviewer)
    client.force_login(editor)

    rows = history_rows(client, claim)

    assert changes(rows) == [
        "Unpublished",
        "Places: removed Demidovka Places: added Prilesye",
        "Text: “Fighting in Demidovka.” → “Fighting inside Demidovka.”",
        "Published",
        "Submitted for review",
        "Status: Unverified → Disputed",
        "Evidence added: Drone footage (supports)",
        "Created Places: added Demidovka",
    ]
    assert [row[0] for row in rows] == ["8", "7", "6", "5", "4", "3", "2", "1"]
    who = [row[-2] for row in rows]
    assert who == [
        "reviewer",
        "editor",
        "reviewer",
        "reviewer",
        "editor",
        "editor",
        "editor",
        "editor",
    ]
    page = " ".join(" ".join(row) for row in rows)
    assert "None" not in page
    assert "disputed" not in page  # the label, not the stored code
    assert "Disputed" in page
    for row in rows:
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", " ".join(row)), row


def test_other_models_read_in_words_too(client, editor):
    source = SourceFactory(name="Russian MoD", aliases=["MoD"])
    source.history.update(history_user=editor)
    source.name = "Russian Ministry of Defence"
    source.aliases = ["MoD", "Минобороны"]
    source.reliability = "D"
    source._history_user = editor
    source.save()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    rows = history_rows(client, Source.objects.get(pk=source.pk))

    words = rows[0][-1]
    assert "Name: “Russian MoD” → “Russian Ministry of Defence”" in words
    assert "Aliases: added Минобороны" in words
    # The grade's label, not its letter alone.
    assert "Reliability grade: C — Fairly reliable → D — Not usually reliable" in words
    assert changes(rows)[-1] == "Created"


def test_a_stale_page_and_the_history_use_the_same_words(editor, other_editor, claim):
    services.update_claim(claim, by=other_editor, text="The bridge was hit.")

    messages = stale_messages(claim, 1)

    assert any(
        "other-editor: Text: “Fighting in Demidovka.” → “The bridge was hit.”" in m
        for m in messages
    )
    # The places the claim was created with are part of the version loaded.
    assert not any("Places" in m for m in messages)


def _history_queries(client, claim) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(history_url(claim)).status_code == 200
    return len(queries)


def test_the_history_pages_queries_do_not_grow_with_its_versions(client, editor, claim):
    client.force_login(editor)
    few = _history_queries(client, claim)
    for n in range(30):
        services.attribute_statement(
            claim,
            source=SourceFactory(),
            stance="asserts" if n % 2 else "denies",
            stated_on=datetime.date(2025, 3, 18),
            quote=f"Quote {n}.",
            by=editor,
        )
        services.update_claim(claim, by=editor, places=[PlaceFactory(), PlaceFactory()])

    assert _history_queries(client, claim) == few
