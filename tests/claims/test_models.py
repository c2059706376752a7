"""Claims and their parts: database constraints, protection and model behaviour."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError

from claims.models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Statement,
    Status,
    StatusChange,
    StatusChangeEvidence,
)
from tests.factories import (
    ClaimFactory,
    ClaimLinkFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
    StatusChangeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def at(day, hour=12):
    return datetime.datetime(2025, 3, day, hour, tzinfo=datetime.UTC)


def refused(make, constraint):
    """Run ``make`` and return the IntegrityError the database raised."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        make()
    assert constraint in str(excinfo.value)
    return excinfo.value


# Check constraints: one invalid row each, and a valid neighbour that is stored.

INVALID_ROWS = [
    (PlaceFactory, {"kind": "continent"}, "place_kind_valid"),
    (PlaceFactory, {"name": ""}, "place_name_not_empty"),
    (PlaceFactory, {"slug": ""}, "place_slug_not_empty"),
    (PlaceFactory, {"latitude": Decimal("48.1")}, "place_coordinates_paired"),
    (PlaceFactory, {"longitude": Decimal("37.7")}, "place_coordinates_paired"),
    (
        PlaceFactory,
        {"latitude": Decimal("90.000001"), "longitude": 0},
        "place_latitude_range",
    ),
    (PlaceFactory, {"latitude": -91, "longitude": 0}, "place_latitude_range"),
    (
        PlaceFactory,
        {"latitude": 0, "longitude": Decimal("180.000001")},
        "place_longitude_range",
    ),
    (PlaceFactory, {"latitude": 0, "longitude": -181}, "place_longitude_range"),
    (EventFactory, {"title": ""}, "event_title_not_empty"),
    (EventFactory, {"slug": ""}, "event_slug_not_empty"),
    (
        EventFactory,
        {
            "starts_on": datetime.date(2025, 3, 2),
            "ends_on": datetime.date(2025, 3, 1),
        },
        "event_ends_after_start",
    ),
    (ClaimFactory, {"status": "true"}, "claim_status_valid"),
    (ClaimFactory, {"status": ""}, "claim_status_valid"),
    (
        ClaimFactory,
        {"visibility": "public", "published_at": at(1)},
        "claim_visibility_valid",
    ),
    (ClaimFactory, {"text": ""}, "claim_text_not_empty"),
    (ClaimFactory, {"slug": ""}, "claim_slug_not_empty"),
    (ClaimFactory, {"version": 0}, "claim_version_positive"),
    (
        ClaimFactory,
        {"visibility": "published", "published_at": None},
        "claim_published_has_date",
    ),
    (StatementFactory, {"stance": "supports"}, "statement_stance_valid"),
    (StatementFactory, {"quote": ""}, "statement_quote_not_empty"),
    (EvidenceFactory, {"stance": "asserts"}, "evidence_stance_valid"),
    (StatusChangeFactory, {"old_status": "new"}, "statuschange_old_status_valid"),
    (StatusChangeFactory, {"new_status": "settled"}, "statuschange_new_status_valid"),
    (
        StatusChangeFactory,
        {"old_status": "disputed", "new_status": "disputed"},
        "statuschange_changes_status_or_text",
    ),
    (
        StatusChangeFactory,
        {
            "old_status": "disputed",
            "new_status": "disputed",
            "old_text": "Same.",
            "new_text": "Same.",
        },
        "statuschange_changes_status_or_text",
    ),
    (
        StatusChangeFactory,
        {"old_status": "disputed", "new_status": "false", "new_text": "Reworded."},
        "statuschange_changes_status_or_text",
    ),
    (StatusChangeFactory, {"rationale": ""}, "statuschange_rationale_not_empty"),
    (ClaimLinkFactory, {"kind": "refutes"}, "claimlink_kind_valid"),
]

VALID_ROWS = [
    (PlaceFactory, {"kind": "country"}),
    (PlaceFactory, {"kind": "other"}),
    (PlaceFactory, {"latitude": None, "longitude": None}),
    (PlaceFactory, {"latitude": Decimal("48.123456"), "longitude": Decimal("37.7")}),
    (PlaceFactory, {"latitude": 90, "longitude": 180}),
    (PlaceFactory, {"latitude": -90, "longitude": -180}),
    (EventFactory, {"starts_on": None, "ends_on": datetime.date(2025, 3, 1)}),
    (EventFactory, {"starts_on": datetime.date(2025, 3, 1), "ends_on": None}),
    (
        EventFactory,
        {
            "starts_on": datetime.date(2025, 3, 1),
            "ends_on": datetime.date(2025, 3, 1),
        },
    ),
    (
        EventFactory,
        {
            "starts_on": datetime.date(2025, 3, 1),
            "ends_on": datetime.date(2025, 3, 2),
        },
    ),
    (ClaimFactory, {"status": "partly_confirmed"}),
    (ClaimFactory, {"status": "unverifiable"}),
    (ClaimFactory, {"version": 1}),
    (ClaimFactory, {"version": 42}),
    (ClaimFactory, {"visibility": "draft", "published_at": None}),
    (ClaimFactory, {"visibility": "draft", "published_at": at(1)}),
    (ClaimFactory, {"visibility": "published", "published_at": at(1)}),
    (StatementFactory, {"stance": "denies"}),
    (EvidenceFactory, {"stance": "refutes"}),
    (EvidenceFactory, {"stance": "context"}),
    (StatusChangeFactory, {"old_status": "disputed", "new_status": "unverified"}),
    (StatusChangeFactory, {"old_status": "misleading", "new_status": "false"}),
    (ClaimLinkFactory, {"kind": "contradicts"}),
    (ClaimLinkFactory, {"kind": "supersedes"}),
]


@pytest.mark.parametrize(
    ("factory", "values", "constraint"),
    INVALID_ROWS,
    ids=[f"{constraint}-{values}" for _, values, constraint in INVALID_ROWS],
)
def test_check_constraints_refuse_invalid_rows(factory, values, constraint):
    """The database refuses a row that breaks the named check constraint."""
    model = factory._meta.model
    before = model.objects.count()

    refused(lambda: factory(**values), constraint)

    assert model.objects.count() == before


@pytest.mark.parametrize(
    ("factory", "values"),
    VALID_ROWS,
    ids=[f"{factory.__name__}-{values}" for factory, values in VALID_ROWS],
)
def test_check_constraints_accept_valid_neighbours(factory, values):
    """A row next to the forbidden values is stored."""
    row = factory(**values)

    assert factory._meta.model.objects.filter(pk=row.pk, **values).exists()


@pytest.mark.parametrize(
    ("factory", "values", "constraint"),
    [
        (ClaimFactory, {"status": "settled"}, "claim_status_valid"),
        (ClaimFactory, {"version": 0}, "claim_version_positive"),
        (ClaimFactory, {"visibility": "published"}, "claim_published_has_date"),
        (
            EventFactory,
            {"ends_on": datetime.date(2025, 2, 1)},
            "event_ends_after_start",
        ),
        (PlaceFactory, {"latitude": 50}, "place_coordinates_paired"),
        (
            StatusChangeFactory,
            {"new_status": F("old_status")},
            "statuschange_changes_status_or_text",
        ),
    ],
)
def test_check_constraints_refuse_bulk_updates(factory, values, constraint):
    """QuerySet.update cannot write what the constraint forbids either."""
    row = factory()

    refused(
        lambda: factory._meta.model.objects.filter(pk=row.pk).update(**values),
        constraint,
    )


def test_place_cannot_be_its_own_parent():
    place = PlaceFactory()

    refused(
        lambda: Place.objects.filter(pk=place.pk).update(parent=F("id")),
        "place_not_own_parent",
    )
    place.refresh_from_db()
    assert place.parent is None


def test_place_may_have_another_place_as_parent():
    country = PlaceFactory(kind="country")
    place = PlaceFactory()

    Place.objects.filter(pk=place.pk).update(parent=country)

    place.refresh_from_db()
    assert place.parent == country


def test_claimlink_cannot_link_a_claim_to_itself():
    claim = ClaimFactory()

    refused(
        lambda: ClaimLinkFactory(from_claim=claim, to_claim=claim),
        "claimlink_not_to_itself",
    )
    assert not ClaimLink.objects.exists()


# Unique constraints.


@pytest.mark.parametrize(
    ("factory", "model"),
    [(PlaceFactory, Place), (EventFactory, Event), (ClaimFactory, Claim)],
)
def test_slugs_are_unique(factory, model):
    """Two places, events or claims cannot share a slug."""
    factory(slug="same")

    refused(lambda: factory(slug="same"), "slug")
    assert model.objects.filter(slug="same").count() == 1


def test_statement_once_per_source_stance_and_day():
    """A source's stance on a claim is recorded once per date."""
    first = StatementFactory()

    refused(
        lambda: StatementFactory(
            claim=first.claim,
            source=first.source,
            stance=first.stance,
            stated_on=first.stated_on,
            quote="Said again.",
        ),
        "statement_unique_per_day",
    )
    assert Statement.objects.count() == 1


@pytest.mark.parametrize(
    "other",
    ["stance", "stated_on", "source", "claim"],
)
def test_statement_differing_in_one_key_is_accepted(other):
    """Another stance, day, source or claim makes a distinct statement."""
    first = StatementFactory()
    values = {
        "claim": first.claim,
        "source": first.source,
        "stance": first.stance,
        "stated_on": first.stated_on,
    }
    replacements = {
        "stance": lambda: "denies",
        "stated_on": lambda: datetime.date(2025, 3, 19),
        "source": SourceFactory,
        "claim": ClaimFactory,
    }
    values[other] = replacements[other]()

    StatementFactory(**values)

    assert Statement.objects.count() == 2


def test_evidence_document_once_per_claim():
    first = EvidenceFactory()

    refused(
        lambda: EvidenceFactory(
            claim=first.claim, document=first.document, stance="refutes"
        ),
        "evidence_document_once_per_claim",
    )
    assert Evidence.objects.count() == 1


def test_same_document_may_be_evidence_for_two_claims():
    first = EvidenceFactory()

    EvidenceFactory(document=first.document)

    assert Evidence.objects.filter(document=first.document).count() == 2


def test_claimlink_unique_per_kind():
    link = ClaimLinkFactory()

    refused(
        lambda: ClaimLinkFactory(
            from_claim=link.from_claim, to_claim=link.to_claim, kind=link.kind
        ),
        "claimlink_unique",
    )
    ClaimLinkFactory(
        from_claim=link.from_claim, to_claim=link.to_claim, kind="supersedes"
    )
    ClaimLinkFactory(from_claim=link.to_claim, to_claim=link.from_claim, kind=link.kind)
    assert ClaimLink.objects.count() == 3


def test_status_change_cites_evidence_once():
    change = StatusChangeFactory()
    evidence = EvidenceFactory(claim=change.claim)
    StatusChangeEvidence.objects.create(status_change=change, evidence=evidence)

    refused(
        lambda: StatusChangeEvidence.objects.create(
            status_change=change, evidence=evidence
        ),
        "statuschange_evidence_once",
    )
    StatusChangeEvidence.objects.create(
        status_change=change, evidence=EvidenceFactory(claim=change.claim)
    )
    assert change.evidence.count() == 2


# Protection.


def test_evidence_cited_by_a_status_change_cannot_be_deleted():
    change = StatusChangeFactory()
    evidence = EvidenceFactory(claim=change.claim)
    change.evidence.add(evidence)

    with pytest.raises(ProtectedError):
        evidence.delete()

    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_uncited_evidence_can_be_deleted():
    evidence = EvidenceFactory()

    evidence.delete()

    assert not Evidence.objects.exists()


def test_claim_with_status_changes_cannot_be_deleted():
    change = StatusChangeFactory()

    with pytest.raises(ProtectedError):
        change.claim.delete()

    assert Claim.objects.filter(pk=change.claim_id).exists()


def test_claim_without_status_changes_deletes_its_parts():
    """Statements, evidence and links go with a claim that has no timeline."""
    claim = ClaimFactory()
    StatementFactory(claim=claim)
    EvidenceFactory(claim=claim)
    ClaimLinkFactory(from_claim=claim)

    claim.delete()

    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not Statement.objects.exists()
    assert not Evidence.objects.exists()
    assert not ClaimLink.objects.exists()


# Places.


def test_place_clean_refuses_a_cycle():
    """A place cannot be put inside a place that is inside it."""
    a = PlaceFactory()
    b = PlaceFactory(parent=a)
    a = Place.objects.get(pk=a.pk)
    a.parent = Place.objects.get(pk=b.pk)

    with pytest.raises(ValidationError) as excinfo:
        a.clean()

    assert "parent" in excinfo.value.message_dict


def test_place_clean_refuses_itself_as_parent():
    place = PlaceFactory()
    place.parent = Place.objects.get(pk=place.pk)

    with pytest.raises(ValidationError) as excinfo:
        place.full_clean()

    assert "parent" in excinfo.value.message_dict


def test_place_clean_accepts_a_chain_without_cycle():
    country = PlaceFactory(kind="country")
    region = PlaceFactory(kind="region", parent=country)
    village = PlaceFactory.build(parent=region)

    village.full_clean()


def test_place_ancestors_run_from_the_outermost_down():
    country = PlaceFactory(kind="country")
    region = PlaceFactory(kind="region", parent=country)
    district = PlaceFactory(kind="district", parent=region)
    village = PlaceFactory(parent=district)

    assert Place.objects.get(pk=village.pk).ancestors() == [country, region, district]
    assert region.ancestors() == [country]
    assert country.ancestors() == []


@pytest.mark.parametrize("names", ["Demydivka", [""], [None]])
def test_place_alternate_names_must_be_a_list_of_names(names):
    place = PlaceFactory.build(alternate_names=names)

    with pytest.raises(ValidationError) as excinfo:
        place.full_clean()

    assert "alternate_names" in excinfo.value.message_dict


def test_place_alternate_names_accept_names_in_any_script():
    PlaceFactory.build(alternate_names=["Demydivka", "Демидовка"]).full_clean()


# Statements.


def test_statement_is_not_relayed_when_the_source_published_it():
    source = SourceFactory()
    statement = StatementFactory(
        source=source, document=DocumentFactory(publisher=source)
    )

    assert statement.relayed_by is None


@pytest.mark.parametrize("has_document", [False, True])
def test_statement_is_not_relayed_without_a_publisher(has_document):
    """No document, or a document with no known publisher, relays nothing."""
    document = DocumentFactory(publisher=None) if has_document else None

    statement = StatementFactory(document=document)

    assert statement.relayed_by is None


def test_statement_relayed_by_another_publisher():
    outlet = SourceFactory(kind="media")
    statement = StatementFactory(document=DocumentFactory(publisher=outlet))

    assert statement.relayed_by == outlet


# Status.


@pytest.mark.parametrize(
    ("status", "rating"),
    [
        (Status.DISPUTED, 3),
        (Status.PARTLY_CONFIRMED, 4),
        (Status.CONFIRMED, 5),
        (Status.MISLEADING, 2),
        (Status.FALSE, 1),
        (Status.UNVERIFIED, None),
        (Status.UNVERIFIABLE, None),
    ],
)
def test_status_rating_value(status, rating):
    assert status.rating_value == rating


def test_every_status_has_a_rating_entry_in_the_test_table():
    """A new status must be given a rating decision here."""
    assert {status.value for status in Status} == {
        "unverified",
        "disputed",
        "partly_confirmed",
        "confirmed",
        "misleading",
        "false",
        "unverifiable",
    }


def status_on(claim, day):
    """The verdict the claim page shows for the end of ``day`` of March 2025."""
    page = Claim.objects.for_page().get(pk=claim.pk)
    return page.snapshot(datetime.date(2025, 3, day)).status


def test_a_snapshot_reads_the_verdict_from_the_timeline():
    claim = ClaimFactory(status=Status.CONFIRMED)
    StatusChangeFactory(
        claim=claim,
        old_status=Status.UNVERIFIED,
        new_status=Status.DISPUTED,
        changed_at=at(10),
    )
    StatusChangeFactory(
        claim=claim,
        old_status=Status.DISPUTED,
        new_status=Status.CONFIRMED,
        changed_at=at(20),
    )
    # A change on another claim does not leak into this one.
    StatusChangeFactory(new_status=Status.FALSE, changed_at=at(15))

    assert status_on(claim, 9) == Status.UNVERIFIED
    assert status_on(claim, 10) == Status.DISPUTED
    assert status_on(claim, 15) == Status.DISPUTED
    assert status_on(claim, 20) == Status.CONFIRMED
    assert status_on(claim, 25) is Status.CONFIRMED
    assert claim.snapshot().status is Status.CONFIRMED


def test_a_snapshot_breaks_ties_by_the_later_row():
    """Two changes at the same moment: the one recorded last wins."""
    claim = ClaimFactory()
    StatusChangeFactory(claim=claim, new_status=Status.DISPUTED, changed_at=at(10))
    StatusChangeFactory(
        claim=claim,
        old_status=Status.DISPUTED,
        new_status=Status.MISLEADING,
        changed_at=at(10),
    )

    assert status_on(claim, 10) == Status.MISLEADING


def test_a_snapshot_without_changes_is_unverified():
    assert status_on(ClaimFactory(), 1) is Status.UNVERIFIED


# Claim querysets.


@pytest.fixture
def draft_and_published():
    return ClaimFactory(), PublishedClaimFactory()


def test_published_excludes_drafts(draft_and_published):
    _, published = draft_and_published

    assert list(Claim.objects.published()) == [published]


@pytest.mark.parametrize("who", ["anonymous", "reader", "staff_without_role"])
def test_visible_to_shows_only_published_claims(draft_and_published, reader, who):
    """Anyone who is not staff with the view permission sees published claims."""
    _, published = draft_and_published
    user = {
        "anonymous": AnonymousUser(),
        "reader": reader,
        "staff_without_role": UserFactory(is_staff=True),
    }[who]

    assert list(Claim.objects.visible_to(user)) == [published]


@pytest.mark.parametrize("role", ["editor", "reviewer", "superuser"])
def test_visible_to_shows_drafts_to_staff(draft_and_published, request, role):
    draft, published = draft_and_published
    user = request.getfixturevalue(role)

    assert set(Claim.objects.visible_to(user)) == {draft, published}


def test_visible_to_hides_drafts_from_inactive_staff(draft_and_published, editor):
    """An editor whose account is disabled loses access to drafts."""
    _, published = draft_and_published
    editor.is_active = False
    editor.save()

    user = type(editor).objects.get(pk=editor.pk)

    assert list(Claim.objects.visible_to(user)) == [published]


def test_claim_timeline_runs_oldest_first():
    """The timeline rows belong to their claim, oldest first."""
    claim = ClaimFactory()
    late = StatusChangeFactory(claim=claim, changed_at=at(20))
    early = StatusChangeFactory(
        claim=claim,
        old_status=Status.DISPUTED,
        new_status=Status.MISLEADING,
        changed_at=at(10),
    )

    assert list(claim.status_changes.all()) == [early, late]
    assert claim.status_changes.latest() == late
    assert StatusChange.objects.count() == 2
