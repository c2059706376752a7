"""The claims admin: the change list, edits through the domain layer, stale
pages, the change-status form, publishing and the role rules."""

import datetime
import html
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.models import Claim, Evidence, Statement, Status, StatusChange
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    InReviewClaimFactory,
    PlaceFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:claims_claim_changelist")
ADD = reverse("admin:claims_claim_add")
INLINES = ("statements", "evidence", "links_out", "status_changes")


def change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def status_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_status", args=[claim.pk])


def visibility_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_visibility", args=[claim.pk])


def empty_inlines(claim: Claim | None = None) -> dict[str, str]:
    data = {}
    for prefix in INLINES:
        initial = 0
        if claim is not None and prefix != "links_out":
            initial = getattr(claim, prefix).count()
        elif claim is not None:
            initial = claim.links_out.count()
        data |= {
            f"{prefix}-TOTAL_FORMS": str(initial),
            f"{prefix}-INITIAL_FORMS": str(initial),
        }
    return data


def form_value(value: object) -> object:
    """A model's value as a form posts it: a list of ids, an id, or text."""
    if isinstance(value, list):
        return [item.pk for item in value]
    return "" if value is None else value


def claim_form(claim: Claim, **changes) -> dict[str, object]:
    """What the change page posts back when the editor changes ``changes``."""
    data = {
        name: form_value(value)
        for name, value in model_to_dict(claim, fields=Claim.EDITABLE).items()
    }
    data.update(loaded_version=claim.version, **empty_inlines(claim))
    for prefix, parts in (
        ("statements", claim.statements.order_by("stated_on", "stated_time", "id")),
        ("evidence", claim.evidence.order_by("created_at", "id")),
        ("status_changes", claim.status_changes.order_by("changed_at", "id")),
        ("links_out", claim.links_out.order_by("created_at", "id")),
    ):
        for i, part in enumerate(parts):
            data[f"{prefix}-{i}-id"] = part.pk
            fk = "from_claim" if prefix == "links_out" else "claim"
            data[f"{prefix}-{i}-{fk}"] = claim.pk
            for field in {
                "statements": [
                    "source",
                    "stance",
                    "stated_on",
                    "stated_time",
                    "quote",
                    "quote_language",
                    "translation",
                    "document",
                    "credibility",
                    "time_precision",
                ],
                "evidence": ["document", "stance", "note"],
                "links_out": ["kind", "to_claim", "note"],
                "status_changes": [],
            }[prefix]:
                value = getattr(part, f"{field}_id", None) or getattr(part, field)
                data[f"{prefix}-{i}-{field}"] = "" if value is None else value
    data.update(changes)
    return data


# --- the change list -------------------------------------------------------------


def test_the_list_shows_badges_counts_places_and_who_changed_last(client, editor):
    claim = services.create_claim(text="A bridge near Sudzha was destroyed.", by=editor)
    claim.places.add(PlaceFactory(name="Sudzha"))
    for stance in ("asserts", "asserts", "denies"):
        StatementFactory(claim=claim, stance=stance)
    client.force_login(editor)

    response = client.get(CHANGELIST)

    row = response.text
    assert '<span class="badge status-unverified">Unverified</span>' in row
    assert '<span class="badge visibility-draft">Draft</span>' in row
    assert "Sudzha" in row
    assert re.search(r'<td class="field-asserting"><a [^>]+>2</a></td>', row)
    assert re.search(r'<td class="field-denying"><a [^>]+>1</a></td>', row)
    assert " by editor" in row


def test_a_count_leads_to_the_claims_statements_of_that_stance(client, editor):
    claim = ClaimFactory(text="A bridge near Sudzha was destroyed.")
    other = ClaimFactory(text="Another claim.")
    StatementFactory(claim=claim, stance="asserts", quote="It was hit.")
    StatementFactory(claim=claim, stance="denies", quote="It stands.")
    StatementFactory(claim=other, stance="asserts", quote="Elsewhere.")
    client.force_login(editor)
    row = client.get(CHANGELIST, {"q": "bridge Sudzha destroyed"}).text

    for stance, shown, hidden in (
        ("asserting", "It was hit.", ["It stands.", "Elsewhere."]),
        ("denying", "It stands.", ["It was hit.", "Elsewhere."]),
    ):
        link = re.search(rf'<td class="field-{stance}"><a href="([^"]+)"', row)
        statements = client.get(html.unescape(link.group(1)))
        assert statements.status_code == 200
        assert shown in statements.text or "1 statement" in statements.text
        assert statements.context["cl"].result_count == 1
        listed = statements.context["cl"].result_list[0]
        assert (listed.claim_id, listed.quote) == (claim.pk, shown)
        for quote in hidden:
            assert quote not in statements.text


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_takes_the_same_queries_for_5_and_50_claims(
    client, superuser, rows, django_assert_num_queries
):
    place = PlaceFactory()
    for claim in ClaimFactory.create_batch(rows):
        claim.places.add(place)
        StatementFactory(claim=claim, stance="asserts")
        StatementFactory(claim=claim, stance="denies")
    client.force_login(superuser)
    client.get(CHANGELIST)  # warms the session and content types

    # a fixed set: session, user, the bounded count, the page, its places (the
    # event, source and place filters are search boxes: no list of choices),
    # who else has the page's claims open
    with django_assert_num_queries(6):
        response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert response.text.count('class="field-asserting"') == rows


def test_the_list_query_count_does_not_grow_with_filters_on_parts(client, superuser):
    source = SourceFactory()
    for claim in ClaimFactory.create_batch(3):
        StatementFactory(claim=claim, source=source)
    client.force_login(superuser)
    query = {"statements__source__id__exact": source.pk, "q": "Claim"}

    with CaptureQueriesContext(connection) as few:
        client.get(CHANGELIST, query)
    for claim in ClaimFactory.create_batch(20):
        StatementFactory(claim=claim, source=source)
    with CaptureQueriesContext(connection) as many:
        response = client.get(CHANGELIST, query)

    assert len(many) == len(few)
    # one row per claim although each matches through its statements
    assert "23 claims" in response.text


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


@pytest.mark.sqlite
@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Зеленський", "conducting ground operations"),  # a source alias
        ("zelenskyy", "conducting ground operations"),  # Latin, any case
        ("Минобороны", "Every Ukrainian attempt"),  # the MoD in Russian
        ("Демидовка", "inside the village of Demidovka"),  # a place, Cyrillic
        (
            "demydivka",
            "inside the village of Demidovka",
        ),  # its Ukrainian transliteration
        ("225th", "225th Assault Regiment"),  # the claim text
    ],
)
def test_search_covers_text_quotes_sources_and_places_in_any_spelling(
    client, editor, demo, term, expected
):
    client.force_login(editor)

    response = client.get(CHANGELIST, {"q": term})

    assert response.status_code == 200
    assert expected in response.text.replace("&#x27;", "'")


@pytest.mark.sqlite
def test_search_in_quotes(client, editor):
    StatementFactory(quote="Ми звільнили село.", claim__text="A village was freed.")
    client.force_login(editor)

    response = client.get(CHANGELIST, {"q": "звільнили"})

    assert "A village was freed." in response.text


def test_filters_narrow_the_list(client, editor):
    event = EventFactory(title="Sudzha fighting")
    region = PlaceFactory(name="Belgorod region", kind="region")
    village = PlaceFactory(name="Demidovka", parent=region)
    graded = SourceFactory(name="ISW", reliability="B")
    inside = ClaimFactory(text="Fighting in Demidovka.", event=event)
    inside.places.add(village)
    StatementFactory(claim=inside, source=graded, stated_on=datetime.date(2025, 3, 20))
    ClaimFactory(text="Something elsewhere.")
    client.force_login(editor)

    for query in (
        {"within": region.pk},  # a region finds the claims of its villages
        {"event__id__exact": event.pk},
        {"statements__source__id__exact": graded.pk},
        {"statements__source__reliability__exact": "B"},
        {
            "status__exact": "unverified",
            "visibility__exact": "draft",
            "within": village.pk,
        },
        {
            "statements__stated_on__gte": "2025-03-01",
            "statements__stated_on__lt": "2025-04-01",
        },
    ):
        response = client.get(CHANGELIST, query)
        assert response.status_code == 200, query
        assert "Fighting in Demidovka." in response.text, query
        assert "Something elsewhere." not in response.text, query


# --- adding and editing -------------------------------------------------------


def test_a_claim_added_in_the_admin_goes_through_the_domain_layer(client, editor):
    client.force_login(editor)

    response = client.post(
        ADD,
        {"text": "A bridge near Sudzha was destroyed.", "slug": "", **empty_inlines()},
    )

    assert response.status_code == 302, response.content
    claim = Claim.objects.get(slug="a-bridge-near-sudzha-was-destroyed")
    assert (claim.status, claim.visibility, claim.version) == ("unverified", "draft", 1)
    assert claim.history.first().history_user == editor


def test_a_claim_added_with_a_statement_and_evidence_saves_them_as_versions(
    client, editor
):
    source, document = SourceFactory(), DocumentFactory()
    client.force_login(editor)

    response = client.post(
        ADD,
        {
            "text": "Ukrainian forces entered Demidovka.",
            "slug": "entered-demidovka",
            **empty_inlines(),
            "statements-TOTAL_FORMS": "1",
            "statements-0-source": source.pk,
            "statements-0-stance": "asserts",
            "statements-0-stated_on": "2025-03-18",
            "statements-0-time_precision": "day",
            "statements-0-credibility": "6",
            "statements-0-quote": "We are there.",
            "evidence-TOTAL_FORMS": "1",
            "evidence-0-document": document.pk,
            "evidence-0-stance": "supports",
        },
    )

    assert response.status_code == 302, response.content
    claim = Claim.objects.get(slug="entered-demidovka")
    assert claim.version == 3  # created, then one version per part
    assert claim.statements.get().history.first().history_user == editor
    assert claim.evidence.get().document == document


def test_an_edit_is_saved_as_a_new_version_by_its_editor(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)

    response = client.post(change_url(claim), claim_form(claim, text="Reworded."))

    assert response.status_code == 302, response.content
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("Reworded.", 2)
    assert claim.history.first().history_user == editor


def test_a_save_on_a_stale_page_is_refused_saying_what_changed(
    client, editor, other_editor
):
    claim = ClaimFactory(text="The bridge was destroyed.")
    page = claim_form(claim, text="The bridge was damaged.")  # loaded at version 1
    services.update_claim(claim, by=other_editor, text="The bridge was hit.")
    client.force_login(editor)

    response = client.post(change_url(claim), page)

    assert response.status_code == 200
    text = response.text.replace("&#x27;", "'")
    assert "Someone changed this claim after you opened it" in text
    assert "you loaded version 1, it is now version 2" in text
    assert "other-editor" in text
    assert "“The bridge was destroyed.” → “The bridge was hit.”" in text
    assert "The bridge was damaged." in text  # the editor's input is kept
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("The bridge was hit.", 2)


def test_a_stale_page_names_parts_added_in_between(client, editor, other_editor):
    claim = ClaimFactory()
    page = claim_form(claim, text="Reworded.")
    services.attribute_statement(
        claim,
        source=SourceFactory(name="Russian MoD"),
        stance="denies",
        stated_on=datetime.date(2025, 3, 19),
        quote="Repelled.",
        by=other_editor,
    )
    client.force_login(editor)

    response = client.post(change_url(claim), page)

    assert "Statement added: Russian MoD denies on 2025-03-19" in response.text


def test_a_stale_inline_change_is_refused_too(client, editor, other_editor):
    claim = ClaimFactory()
    page = claim_form(claim)
    page |= {
        "evidence-TOTAL_FORMS": "1",
        "evidence-0-document": DocumentFactory().pk,
        "evidence-0-stance": "supports",
    }
    services.update_claim(claim, by=other_editor, text="Reworded by the other.")
    client.force_login(editor)

    response = client.post(change_url(claim), page)

    assert response.status_code == 200
    assert "Someone changed this claim" in response.text
    assert not claim.evidence.exists()


def test_a_refusal_by_the_domain_layer_shows_on_the_form(client, reviewer):
    claim = InReviewClaimFactory(slug="fixed-address")
    services.publish_claim(claim, by=reviewer)
    client.force_login(reviewer)

    response = client.post(change_url(claim), claim_form(claim, slug="new-address"))

    assert response.status_code == 200
    assert "A published claim keeps its address" in response.text
    claim.refresh_from_db()
    assert claim.slug == "fixed-address"


def test_removing_evidence_a_verdict_rests_on_is_refused_with_a_message(client, editor):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    services.change_status(
        claim, to="disputed", rationale="Conflict.", evidence=[evidence], by=editor
    )
    client.force_login(editor)
    page = claim_form(claim, **{"evidence-0-DELETE": "on"})

    response = client.post(change_url(claim), page)

    assert response.status_code == 200
    assert "would require deleting the following protected" in response.text
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_a_statement_saved_on_its_own_page_bumps_its_claims_version(client, editor):
    statement = StatementFactory()
    version = statement.claim.version
    client.force_login(editor)

    response = client.post(
        reverse("admin:claims_statement_change", args=[statement.pk]),
        {
            "claim": statement.claim_id,
            "source": statement.source_id,
            "stance": statement.stance,
            "stated_on": statement.stated_on.isoformat(),
            "time_precision": statement.time_precision,
            "credibility": statement.credibility,
            "quote": "Corrected wording of the quote.",
            "quote_language": "en",
            "translation": "",
            "document": statement.document_id,
        },
    )

    assert response.status_code == 302, response.content
    statement.refresh_from_db()
    assert statement.quote == "Corrected wording of the quote."
    assert statement.claim.version == version + 1
    assert statement.history.first().history_user == editor


def test_deleting_protected_evidence_on_its_own_page_is_refused(client, reviewer):
    evidence = EvidenceFactory()
    services.change_status(
        evidence.claim, to="disputed", rationale="x", evidence=[evidence], by=reviewer
    )
    client.force_login(reviewer)
    page = reverse("admin:claims_evidence_delete", args=[evidence.pk])

    response = client.post(page, {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert Evidence.objects.filter(pk=evidence.pk).exists()


# --- the change-status form ------------------------------------------------------


def test_an_editor_moves_a_claim_to_disputed_with_rationale_and_evidence(
    client, editor
):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    client.force_login(editor)

    response = client.post(
        status_url(claim),
        {
            "status": "disputed",
            "rationale": "Kyiv and Moscow say opposite things.",
            "evidence": [evidence.pk],
            "version": claim.version,
        },
    )

    assert response.status_code == 302
    assert response.url == change_url(claim)
    change = StatusChange.objects.get(claim=claim)
    assert (change.new_status, change.changed_by) == ("disputed", editor)
    assert list(change.evidence.all()) == [evidence]
    claim.refresh_from_db()
    assert claim.status == "disputed"


def test_the_status_form_lists_the_claims_evidence_and_no_final_verdicts_for_editors(
    client, editor
):
    claim = ClaimFactory()
    EvidenceFactory(
        claim=claim,
        document__title="ISW update, 21 March",
        document__publisher__name="Institute for the Study of War",
        document__published_at=datetime.datetime(2025, 3, 21, 20, tzinfo=datetime.UTC),
        note="",
    )
    client.force_login(editor)

    response = client.get(status_url(claim))

    # Each piece of evidence is named by its document: title, publisher, date.
    assert (
        "ISW update, 21 March (Institute for the Study of War, 21 Mar 2025): Supports"
        in response.text
    )
    assert "Evidence object" not in response.text
    assert 'value="disputed"' in response.text
    assert 'value="confirmed"' not in response.text
    assert 'value="false"' not in response.text


def test_a_verdict_without_evidence_is_refused_with_a_message(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)

    response = client.post(
        status_url(claim),
        {"status": "disputed", "rationale": "Conflict.", "version": claim.version},
    )

    assert response.status_code == 200
    assert "A claim can only be disputed on evidence." in response.text
    assert not claim.status_changes.exists()


def test_an_editor_cannot_confirm(client, editor):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    client.force_login(editor)

    response = client.post(
        status_url(claim),
        {
            "status": "confirmed",
            "rationale": "Sure.",
            "evidence": [evidence.pk],
            "version": claim.version,
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    claim.refresh_from_db()
    assert claim.status == "unverified"


def test_an_editor_cannot_overturn_a_final_verdict(client, editor, reviewer):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    services.change_status(
        claim, to="confirmed", rationale="Geolocated.", evidence=[evidence], by=reviewer
    )
    client.force_login(editor)

    page = client.get(status_url(claim))
    post = client.post(
        status_url(claim),
        {
            "status": "disputed",
            "rationale": "Doubt.",
            "evidence": [evidence.pk],
            "version": claim.version,
        },
    )

    assert "Only reviewers can overturn it." in page.text
    assert '<form method="post" novalidate>' not in page.text
    assert post.status_code == 200
    claim.refresh_from_db()
    assert claim.status == "confirmed"


def test_a_stale_status_change_is_refused_saying_what_changed(
    client, editor, other_editor
):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    loaded = claim.version
    services.update_claim(claim, by=other_editor, text="Reworded meanwhile.")
    client.force_login(editor)

    response = client.post(
        status_url(claim),
        {
            "status": "disputed",
            "rationale": "Conflict.",
            "evidence": [evidence.pk],
            "version": loaded,
        },
    )

    assert response.status_code == 200
    assert "Someone changed this claim after you opened it" in response.text
    assert "Reworded meanwhile." in response.text
    assert not claim.status_changes.exists()


def test_a_change_on_a_published_claim_is_recorded_as_a_correction(client, reviewer):
    claim = InReviewClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    services.publish_claim(claim, by=reviewer)
    client.force_login(reviewer)

    response = client.post(
        status_url(claim),
        {
            "status": "false",
            "rationale": "Refuted by footage.",
            "evidence": [evidence.pk],
            "version": claim.version,
        },
        follow=True,
    )

    assert "recorded as a correction" in response.text
    assert claim.status_changes.get().is_correction


# --- publishing and the role rules -----------------------------------------------


def test_reviewers_see_publish_and_editors_do_not(client, editor, reviewer):
    claim = InReviewClaimFactory()

    client.force_login(reviewer)
    as_reviewer = client.get(change_url(claim))
    reviewer_list = client.get(CHANGELIST)
    client.force_login(editor)
    as_editor = client.get(change_url(claim))
    editor_list = client.get(CHANGELIST)

    assert "Publish…" in as_reviewer.text
    assert "Publish the selected claims" in reviewer_list.text
    assert "Publish…" not in as_editor.text
    assert "Publish the selected claims" not in editor_list.text
    assert "Change status" in as_editor.text


def test_a_reviewer_publishes_and_unpublishes_from_the_claim_page(client, reviewer):
    claim = InReviewClaimFactory()
    client.force_login(reviewer)

    published = client.post(
        visibility_url(claim), {"action": "publish", "version": 1}, follow=True
    )
    claim.refresh_from_db()
    assert claim.is_published
    assert "Published: “" in published.text
    assert 'value="unpublish"' in published.text

    client.post(visibility_url(claim), {"action": "unpublish", "version": 2})
    claim.refresh_from_db()
    assert not claim.is_published


def test_publishing_a_stale_page_is_refused(client, reviewer, other_editor):
    claim = InReviewClaimFactory()
    services.update_claim(claim, by=other_editor, text="Changed meanwhile.")
    client.force_login(reviewer)

    response = client.post(
        visibility_url(claim), {"action": "publish", "version": 1}, follow=True
    )

    assert "Someone changed this claim after you opened it" in response.text
    claim.refresh_from_db()
    assert not claim.is_published


def test_an_editor_posting_publish_is_refused_with_a_message(client, editor):
    claim = InReviewClaimFactory()
    client.force_login(editor)

    response = client.post(
        visibility_url(claim), {"action": "publish", "version": 1}, follow=True
    )

    assert response.status_code == 200
    assert "Only reviewers can publish claims." in response.text
    claim.refresh_from_db()
    assert not claim.is_published


def test_the_publish_action_reports_each_refusal(client, reviewer):
    draft, published = InReviewClaimFactory(), InReviewClaimFactory()
    services.publish_claim(published, by=reviewer)
    client.force_login(reviewer)

    response = client.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [draft.pk, published.pk]},
        follow=True,
    )

    assert "Published 1 claim." in response.text
    assert "The claim is already published." in response.text
    draft.refresh_from_db()
    assert draft.is_published


def test_an_editor_cannot_run_the_publish_action(client, editor):
    claim = InReviewClaimFactory()
    client.force_login(editor)

    response = client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [claim.pk]}, follow=True
    )

    assert "Published 1 claim" not in response.text
    claim.refresh_from_db()
    assert not claim.is_published


def test_the_timeline_is_read_only_on_the_claim_page(client, editor):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim, document__title="Satellite image")
    services.change_status(
        claim,
        to="disputed",
        rationale="Conflicting reports.",
        evidence=[evidence],
        by=editor,
    )
    client.force_login(editor)

    response = client.get(change_url(claim))

    assert "Verification timeline" in response.text
    assert "Conflicting reports." in response.text
    assert "Satellite image (supports)" in response.text
    assert 'name="status_changes-0-rationale"' not in response.text


def test_statements_are_listed_with_the_source_grade(client, editor):
    StatementFactory(source__name="ISW", source__reliability="B")
    client.force_login(editor)

    response = client.get(reverse("admin:claims_statement_changelist"))

    assert "ISW (B)" in response.text
    assert Statement.objects.count() == 1
    assert Status.UNVERIFIED == "unverified"


def test_a_statement_removed_on_the_claim_page_is_a_new_version(client, editor):
    claim = ClaimFactory()
    statement = StatementFactory(claim=claim)
    client.force_login(editor)

    response = client.post(
        change_url(claim), claim_form(claim, **{"statements-0-DELETE": "on"})
    )

    assert response.status_code == 302, response.content
    claim.refresh_from_db()
    assert not Statement.objects.filter(pk=statement.pk).exists()
    assert claim.version == 2
    assert (
        Statement.history.filter(id=statement.pk, history_type="-").get().history_user
        == editor
    )


def test_the_claim_page_shows_the_claims_that_link_to_it(client, editor):
    claim = ClaimFactory()
    other = ClaimFactory(text="An older report says otherwise.")
    services.link_claims(other, claim, kind="contradicts", by=editor)
    client.force_login(editor)

    response = client.get(change_url(claim))

    assert "An older report says otherwise.</a> contradicts this claim" in response.text


def test_a_claim_in_two_places_of_a_region_is_listed_once(client, editor):
    region = PlaceFactory(name="Belgorod region", kind="region")
    claim = ClaimFactory(text="Fighting near two villages.")
    claim.places.add(PlaceFactory(parent=region), PlaceFactory(parent=region))
    client.force_login(editor)

    response = client.get(CHANGELIST, {"within": region.pk})

    # Counted as a row link: the action checkbox names the claim too.
    assert response.text.count(">Fighting near two villages.</span>") == 1
    assert "1 claim" in response.text


def test_the_place_filter_is_a_search_box_over_every_place(client, editor):
    russia = PlaceFactory(name="Russia", kind="country")
    region = PlaceFactory(name="Belgorod region", kind="region", parent=russia)
    PlaceFactory(name="Prilesye", parent=region)
    client.force_login(editor)

    page = client.get(CHANGELIST)
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "claims",
            "model_name": "claim",
            "field_name": "places",
            "term": "belgorod",
        },
    )

    assert 'name="within"' in page.text
    assert "Prilesye" not in page.text  # no list of every place
    assert [r["id"] for r in found.json()["results"]] == [str(region.pk)]


@pytest.mark.parametrize("view", ["status", "visibility"])
def test_claim_views_answer_404_for_unknown_claims(client, reviewer, view):
    client.force_login(reviewer)
    url = reverse(f"admin:claims_claim_{view}", args=[1]).replace("/1/", "/{}/")

    for missing in ("999999", "not-a-number"):
        response = client.post(url.format(missing), {"action": "publish"})
        assert response.status_code == 404, missing


def test_the_status_form_preselects_no_verdict(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)

    response = client.post(status_url(claim), {"rationale": "x", "version": 1})

    assert (
        '<option value="" selected>— choose —</option>'
        in client.get(status_url(claim)).text
    )
    assert "This field is required." in response.text


@pytest.mark.parametrize(
    "model", ["statement", "evidence", "claimlink", "statuschange"]
)
def test_part_lists_take_the_same_queries_however_many_rows(client, editor, model):
    def grow(n: int) -> None:
        for _ in range(n):
            evidence = EvidenceFactory()
            StatementFactory(claim=evidence.claim)
            services.link_claims(
                evidence.claim, ClaimFactory(), kind="supports", by=editor
            )
            services.change_status(
                evidence.claim,
                to="disputed",
                rationale="x",
                evidence=[evidence],
                by=editor,
            )

    page = reverse(f"admin:claims_{model}_changelist")
    client.force_login(editor)
    grow(2)
    client.get(page)
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    grow(10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page)

    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many]
