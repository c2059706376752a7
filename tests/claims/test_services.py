"""The domain layer: creating and editing claims, publishing, and claim parts.

Verdict changes are in ``test_services_status.py``; simultaneous writes from
two database connections in ``test_services_concurrency.py``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import timezone

from claims import services
from claims.models import (
    Claim,
    ClaimLink,
    Evidence,
    EvidenceStance,
    LinkKind,
    Stance,
    Statement,
    Status,
    StatusChange,
    Visibility,
)
from tests.claims.service_checks import (
    claim_state,
    in_memory_state,
    newest_history_user,
    writes_nothing,
)
from tests.factories import (
    ClaimFactory,
    ClaimLinkFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    InReviewClaimFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HistoricalClaimPlaces = apps.get_model("claims", "HistoricalClaim_places")
STATED_ON = datetime.date(2025, 3, 18)
BLANK_TEXTS = ["", "   ", "\n\t "]


@pytest.fixture
def inactive_reviewer(db):
    """A reviewer whose account was switched off: every permission, no access."""
    user = UserFactory(username="gone-reviewer", is_staff=True, is_active=False)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


def stored(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


# --- Every writing call, as a table -------------------------------------------


def _no_setup(claim: Claim) -> None:
    return None


def _update(claim, _, by, **kwargs):
    return services.update_claim(claim, by=by, text="Reworded claim.", **kwargs)


def _submit(claim, _, by, **kwargs):
    return services.submit_claim(claim, by=by, **kwargs)


def _return(claim, _, by, **kwargs):
    return services.return_claim(claim, by=by, note="Needs a second source.", **kwargs)


def _publish(claim, _, by, **kwargs):
    return services.publish_claim(claim, by=by, **kwargs)


def _unpublish(claim, _, by, **kwargs):
    return services.unpublish_claim(claim, by=by, **kwargs)


def _attribute(claim, source, by, **kwargs):
    return services.attribute_statement(
        claim,
        source=source,
        stance=Stance.ASSERTS,
        stated_on=STATED_ON,
        quote="Our forces are there.",
        by=by,
        **kwargs,
    )


def _add_evidence(claim, document, by, **kwargs):
    return services.add_evidence(
        claim, document=document, stance=EvidenceStance.SUPPORTS, by=by, **kwargs
    )


def _link(claim, other, by, **kwargs):
    return services.link_claims(
        claim, other, kind=LinkKind.CONTRADICTS, by=by, **kwargs
    )


def _edit_statement(claim, statement, by, **kwargs):
    statement.quote = "A corrected quote."
    return services.save_part(statement, by=by, **kwargs)


def _edit_note(claim, part, by, **kwargs):
    part.note = "Read again."
    return services.save_part(part, by=by, **kwargs)


def _remove(claim, part, by, **kwargs):
    return services.remove_part(part, by=by, **kwargs)


def _change_status(claim, evidence, by, **kwargs):
    return services.change_status(
        claim,
        to=Status.DISPUTED,
        rationale="Sources conflict.",
        evidence=[evidence],
        by=by,
        **kwargs,
    )


@dataclass(frozen=True)
class Operation:
    """One writing call of the domain layer and what it needs set up first."""

    name: str
    call: Callable[..., object]
    prepare: Callable[[Claim], object] = _no_setup
    role: str = "editor"
    published: bool = False
    in_review: bool = False

    def __str__(self) -> str:
        return self.name

    def make_claim(self) -> Claim:
        if self.in_review:
            return InReviewClaimFactory()
        return PublishedClaimFactory() if self.published else ClaimFactory()


OPERATIONS = [
    Operation("update_claim", _update),
    Operation("submit_claim", _submit),
    Operation("return_claim", _return, role="reviewer", in_review=True),
    Operation("publish_claim", _publish, role="reviewer", in_review=True),
    Operation("unpublish_claim", _unpublish, role="reviewer", published=True),
    Operation("attribute_statement", _attribute, lambda claim: SourceFactory()),
    Operation("add_evidence", _add_evidence, lambda claim: DocumentFactory()),
    Operation("link_claims", _link, lambda claim: ClaimFactory()),
    Operation(
        "save_part-statement",
        _edit_statement,
        lambda claim: StatementFactory(claim=claim),
    ),
    Operation(
        "save_part-evidence", _edit_note, lambda claim: EvidenceFactory(claim=claim)
    ),
    Operation(
        "save_part-link", _edit_note, lambda claim: ClaimLinkFactory(from_claim=claim)
    ),
    Operation(
        "remove_part-statement", _remove, lambda claim: StatementFactory(claim=claim)
    ),
    Operation(
        "remove_part-evidence", _remove, lambda claim: EvidenceFactory(claim=claim)
    ),
    Operation(
        "remove_part-link", _remove, lambda claim: ClaimLinkFactory(from_claim=claim)
    ),
    Operation(
        "change_status", _change_status, lambda claim: EvidenceFactory(claim=claim)
    ),
]
by_operation = pytest.mark.parametrize("operation", OPERATIONS, ids=str)


@by_operation
def test_every_write_is_one_new_version_of_the_claim(operation, request):
    """A write bumps the version by one, stamps updated_at and audits the user."""
    # given
    claim = operation.make_claim()
    thing = operation.prepare(claim)
    by = request.getfixturevalue(operation.role)
    old_updated_at = claim.updated_at
    old_history = claim.history.count()

    # when
    operation.call(claim, thing, by, expected_version=1)

    # then
    after = stored(claim)
    assert after.version == 2
    assert after.updated_at > old_updated_at
    assert claim.history.count() == old_history + 1
    assert newest_history_user(claim) == by


@by_operation
def test_every_write_hands_the_new_state_to_the_callers_claim(operation, request):
    """The caller's own Claim object carries the stored state, without a refresh."""
    claim = operation.make_claim()
    thing = operation.prepare(claim)

    operation.call(claim, thing, request.getfixturevalue(operation.role))

    assert claim.version == 2
    expected = claim_state(claim)
    del expected["places"]
    assert in_memory_state(claim) == expected


@by_operation
@pytest.mark.parametrize("refused", ["reader", "inactive_reviewer"])
def test_every_write_is_refused_to_a_user_without_a_role(operation, refused, request):
    """A signed-in user with no role, or a switched-off account, changes nothing."""
    claim = operation.make_claim()
    thing = operation.prepare(claim)
    by = request.getfixturevalue(refused)

    with writes_nothing(claim), pytest.raises(PermissionDenied):
        operation.call(claim, thing, by)


@by_operation
def test_every_write_on_a_stale_version_is_refused(operation, request, other_editor):
    """A caller holding an older version gets StaleVersion and nothing is written."""
    # given: the caller loaded version 1, then another editor saved version 2
    claim = operation.make_claim()
    thing = operation.prepare(claim)
    services.update_claim(stored(claim), by=other_editor, text="Other wording.")
    by = request.getfixturevalue(operation.role)

    # when
    with writes_nothing(claim), pytest.raises(services.StaleVersion) as excinfo:
        operation.call(claim, thing, by, expected_version=1)

    # then
    assert (excinfo.value.expected, excinfo.value.current) == (1, 2)
    assert "other-editor" in str(excinfo.value)
    assert stored(claim).text == "Other wording."


@by_operation
def test_every_write_with_the_current_version_succeeds(operation, request, editor):
    """The version the caller holds after an earlier write is accepted."""
    claim = operation.make_claim()
    thing = operation.prepare(claim)
    services.update_claim(claim, by=editor, text="First rewording.")
    assert claim.version == 2

    by = request.getfixturevalue(operation.role)
    operation.call(claim, thing, by, expected_version=claim.version)

    assert stored(claim).version == 3


@by_operation
def test_the_second_of_two_writes_from_the_same_version_is_refused(operation, request):
    """Two calls carrying the same version: the first wins, the second is stale."""
    claim = operation.make_claim()
    thing = operation.prepare(claim)
    by = request.getfixturevalue(operation.role)
    operation.call(claim, thing, by, expected_version=1)

    with writes_nothing(claim), pytest.raises(services.StaleVersion):
        operation.call(claim, thing, by, expected_version=1)

    assert stored(claim).version == 2


def test_stale_version_names_who_changed_the_claim_and_when(editor, other_editor):
    """The refusal tells the caller who saved the newer version, and when."""
    claim = ClaimFactory()
    services.update_claim(stored(claim), by=other_editor, text="Other wording.")
    changed_at = claim.history.first().history_date

    with pytest.raises(services.StaleVersion) as excinfo:
        services.update_claim(claim, by=editor, text="Mine.", expected_version=1)

    message = str(excinfo.value)
    assert "other-editor" in message
    assert f"{changed_at:%Y-%m-%d %H:%M}" in message
    assert "version 1" in message
    assert "version 2" in message


# --- create_claim -------------------------------------------------------------


@pytest.mark.parametrize("role", ["editor", "reviewer", "superuser"])
def test_create_claim_makes_an_unverified_draft_at_version_one(role, request):
    """Editors and reviewers create claims; they start unverified, draft, v1."""
    by = request.getfixturevalue(role)

    claim = services.create_claim(text="Ukrainian forces are in Belgorod.", by=by)

    claim = stored(claim)
    assert claim.text == "Ukrainian forces are in Belgorod."
    assert claim.status == Status.UNVERIFIED
    assert claim.visibility == Visibility.DRAFT
    assert claim.published_at is None
    assert claim.version == 1
    assert claim.created_at == claim.updated_at
    assert not claim.status_changes.exists()
    assert newest_history_user(claim) == by
    assert claim.history.first().history_type == "+"


@pytest.mark.parametrize("refused", ["reader", "inactive_reviewer"])
def test_create_claim_is_refused_to_a_user_without_a_role(refused, request):
    """No role, or a switched-off account: PermissionDenied, no claim."""
    by = request.getfixturevalue(refused)

    with writes_nothing(), pytest.raises(PermissionDenied):
        services.create_claim(text="Ukrainian forces are in Belgorod.", by=by)


@pytest.mark.parametrize("text", BLANK_TEXTS)
def test_create_claim_needs_text(text, editor):
    """Empty or whitespace-only text is refused on ``text``."""
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.create_claim(text=text, by=editor)

    assert "text" in excinfo.value.message_dict


def test_create_claim_strips_the_text(editor):
    claim = services.create_claim(text="  Sudzha is encircled. \n", by=editor)

    assert stored(claim).text == "Sudzha is encircled."


def test_create_claim_refuses_a_slug_already_taken(editor):
    """A given slug that another claim has is refused on ``slug``."""
    ClaimFactory(slug="sudzha-encircled")

    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.create_claim(
            text="Sudzha is encircled.", slug="sudzha-encircled", by=editor
        )

    assert "slug" in excinfo.value.message_dict


@pytest.mark.parametrize("slug", ["not a slug", "sudzha/encircled", "x" * 201])
def test_create_claim_refuses_an_invalid_slug(slug, editor):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.create_claim(text="Sudzha is encircled.", slug=slug, by=editor)

    assert "slug" in excinfo.value.message_dict


def test_create_claim_keeps_a_given_slug(editor):
    claim = services.create_claim(
        text="Sudzha is encircled.", slug="sudzha-pocket", by=editor
    )

    assert stored(claim).slug == "sudzha-pocket"


def test_create_claim_derives_distinct_slugs_from_the_text(editor):
    """Without a slug, one is made from the text and numbered when taken."""
    text = "Ukrainian forces operate in Belgorod region."

    slugs = [services.create_claim(text=text, by=editor).slug for _ in range(3)]

    base = "ukrainian-forces-operate-in-belgorod-region"
    assert slugs == [base, f"{base}-2", f"{base}-3"]
    assert sorted(Claim.objects.values_list("slug", flat=True)) == sorted(slugs)


def test_create_claim_derives_a_short_slug_from_a_long_text(editor):
    """A derived slug keeps at most twelve words and eighty characters."""
    text = " ".join(["Verification"] * 30)

    first = services.create_claim(text=text, by=editor)
    second = services.create_claim(text=text, by=editor)

    for claim in (first, second):
        assert len(claim.slug) <= 80
        assert not claim.slug.endswith("-")
        assert claim.slug.count("-") <= 12
    assert first.slug != second.slug


def test_create_claim_falls_back_to_a_generic_slug_for_text_without_latin_letters(
    editor,
):
    """Text that slugifies to nothing (Cyrillic) still gets a usable slug."""
    first = services.create_claim(text="Українські сили в Бєлгороді.", by=editor)
    second = services.create_claim(text="Суджа в оточенні.", by=editor)

    assert (first.slug, second.slug) == ("claim", "claim-2")


def test_create_claim_sets_event_and_places(editor):
    event = EventFactory()
    places = [PlaceFactory(), PlaceFactory()]

    claim = services.create_claim(
        text="Demidovka was shelled.", event=event, places=places, by=editor
    )

    claim = stored(claim)
    assert claim.event == event
    assert set(claim.places.all()) == set(places)
    newest = claim.history.first()
    assert newest.history_user == editor
    assert {
        row.place for row in HistoricalClaimPlaces.objects.filter(history=newest)
    } == set(places)


def test_create_claim_may_be_dated_in_the_past(editor):
    """``at`` dates the creation, e.g. when a desk enters what it saw yesterday."""
    at = timezone.now() - datetime.timedelta(days=1)

    claim = stored(services.create_claim(text="Sudzha is encircled.", at=at, by=editor))

    assert claim.created_at == at
    assert claim.updated_at == at


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(lambda: timezone.now() + datetime.timedelta(hours=1), id="future"),
        pytest.param(
            lambda: datetime.datetime(2025, 3, 18, 12, 0),  # noqa: DTZ001
            id="naive",
        ),
    ],
)
def test_create_claim_refuses_a_future_or_naive_moment(at, editor):
    """``at`` in the future, or without a time zone, is refused on ``at``."""
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.create_claim(text="Sudzha is encircled.", at=at(), by=editor)

    assert "at" in excinfo.value.message_dict


# --- update_claim -------------------------------------------------------------


def test_update_claim_rewords_the_claim_as_the_next_version(editor):
    claim = ClaimFactory()

    result = services.update_claim(
        claim, by=editor, text="  Sudzha is encircled.  ", expected_version=1
    )

    assert result is claim
    after = stored(claim)
    assert after.text == "Sudzha is encircled."
    assert after.version == 2
    assert newest_history_user(claim) == editor


def test_update_claim_on_a_stale_version_keeps_the_newer_text(editor, other_editor):
    """The second editor's older copy does not overwrite the first one's change."""
    claim = ClaimFactory(text="Original wording.")
    services.update_claim(stored(claim), by=other_editor, text="Newer wording.")

    with writes_nothing(claim), pytest.raises(services.StaleVersion) as excinfo:
        services.update_claim(claim, by=editor, text="Mine.", expected_version=1)

    assert stored(claim).text == "Newer wording."
    assert "other-editor" in str(excinfo.value)


@pytest.mark.parametrize("text", BLANK_TEXTS)
def test_update_claim_needs_text(text, editor):
    claim = ClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.update_claim(claim, by=editor, text=text)

    assert "text" in excinfo.value.message_dict


def test_update_claim_changes_the_slug_of_a_draft(editor):
    claim = ClaimFactory(slug="old-address")

    services.update_claim(claim, by=editor, slug="new-address")

    assert stored(claim).slug == "new-address"
    assert claim.slug == "new-address"


def test_update_claim_keeps_the_slug_of_a_published_claim(reviewer):
    """A published claim's address is fixed: a new slug is refused on ``slug``."""
    claim = PublishedClaimFactory(slug="public-address")

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.update_claim(claim, by=reviewer, slug="new-address")

    assert "slug" in excinfo.value.message_dict


def test_update_claim_accepts_the_unchanged_slug_of_a_published_claim(editor):
    """Sending the slug it already has (as a full form does) is not a change."""
    claim = PublishedClaimFactory(slug="public-address")

    services.update_claim(
        claim, by=editor, slug="public-address", text="Better wording."
    )

    after = stored(claim)
    assert (after.slug, after.text, after.version) == (
        "public-address",
        "Better wording.",
        2,
    )


def test_update_claim_refuses_a_slug_another_claim_has(editor):
    ClaimFactory(slug="taken")
    claim = ClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.update_claim(claim, by=editor, slug="taken")

    assert "slug" in excinfo.value.message_dict


def test_update_claim_refuses_an_invalid_slug(editor):
    claim = ClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.update_claim(claim, by=editor, slug="not a slug")

    assert "slug" in excinfo.value.message_dict


def test_update_claim_changes_the_event(editor):
    claim = ClaimFactory()
    event = EventFactory()

    services.update_claim(claim, by=editor, event=event)

    assert stored(claim).event == event
    assert claim.event == event


def test_update_claim_sets_places_and_audits_them(editor):
    """New places are stored and the newest audit record lists them, by the user."""
    # given
    claim = ClaimFactory()
    claim.places.set([PlaceFactory()])
    places = [PlaceFactory(), PlaceFactory()]

    # when
    services.update_claim(claim, by=editor, places=places, expected_version=1)

    # then
    assert set(stored(claim).places.all()) == set(places)
    assert stored(claim).version == 2
    newest = claim.history.first()
    assert newest.history_user == editor
    audited = HistoricalClaimPlaces.objects.filter(history=newest)
    assert {row.place for row in audited} == set(places)


def test_update_claim_leaves_out_fields_not_given(editor):
    event = EventFactory()
    claim = ClaimFactory(text="Kept.", slug="kept", event=event)
    place = PlaceFactory()
    claim.places.set([place])

    services.update_claim(claim, by=editor)

    # and, as nothing changed, no new version either
    after = stored(claim)
    assert (after.text, after.slug, after.event, after.version) == (
        "Kept.",
        "kept",
        event,
        1,
    )
    assert list(after.places.all()) == [place]


# --- publish_claim / unpublish_claim -------------------------------------------


def test_publish_claim_makes_a_claim_in_review_public(reviewer):
    claim = InReviewClaimFactory()
    before = timezone.now()

    result = services.publish_claim(claim, by=reviewer, expected_version=1)

    assert result is claim
    after = stored(claim)
    assert after.visibility == Visibility.PUBLISHED
    assert before <= after.published_at <= timezone.now()
    assert after.version == 2
    assert claim.is_published
    assert newest_history_user(claim) == reviewer


def test_publish_claim_may_be_dated(reviewer):
    claim = InReviewClaimFactory()
    at = timezone.now() - datetime.timedelta(hours=3)

    services.publish_claim(claim, by=reviewer, at=at)

    assert stored(claim).published_at == at


@pytest.mark.parametrize("call", [services.publish_claim, services.unpublish_claim])
def test_editors_neither_publish_nor_unpublish(call, editor):
    """Publishing is for reviewers: an editor gets PermissionDenied."""
    claim = (
        InReviewClaimFactory()
        if call is services.publish_claim
        else PublishedClaimFactory()
    )

    with writes_nothing(claim), pytest.raises(PermissionDenied):
        call(claim, by=editor)


def test_publish_claim_refuses_a_published_claim(reviewer):
    claim = PublishedClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.publish_claim(claim, by=reviewer)

    assert "visibility" in excinfo.value.message_dict


def test_unpublish_claim_refuses_a_draft(reviewer):
    claim = ClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.unpublish_claim(claim, by=reviewer)

    assert "visibility" in excinfo.value.message_dict


def test_unpublish_claim_keeps_the_first_publication_date(reviewer):
    """Taken down and put back, a claim keeps the date it was first published."""
    claim = InReviewClaimFactory()
    first = timezone.now() - datetime.timedelta(days=2)
    services.publish_claim(claim, by=reviewer, at=first)

    services.unpublish_claim(claim, by=reviewer, expected_version=2)

    after = stored(claim)
    assert after.visibility == Visibility.DRAFT
    assert after.published_at == first
    assert after.version == 3
    assert not claim.is_published

    services.submit_claim(claim, by=reviewer, expected_version=3)
    services.publish_claim(claim, by=reviewer, expected_version=4)

    assert stored(claim).published_at == first


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(lambda: timezone.now() + datetime.timedelta(hours=1), id="future"),
        pytest.param(
            lambda: datetime.datetime(2025, 3, 18, 12, 0),  # noqa: DTZ001
            id="naive",
        ),
    ],
)
def test_publish_claim_refuses_a_future_or_naive_moment(at, reviewer):
    claim = InReviewClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.publish_claim(claim, by=reviewer, at=at())

    assert "at" in excinfo.value.message_dict


# --- Statements ----------------------------------------------------------------


def test_attribute_statement_records_who_said_it(editor):
    claim = ClaimFactory()
    source = SourceFactory()
    document = DocumentFactory()

    statement = services.attribute_statement(
        claim,
        source=source,
        stance=Stance.DENIES,
        stated_on=STATED_ON,
        stated_time=datetime.time(14, 30),
        quote="  Это провокация.  ",
        quote_language="ru",
        translation=" It is a provocation. ",
        is_paraphrase=True,
        document=document,
        by=editor,
        expected_version=1,
    )

    statement = Statement.objects.get(pk=statement.pk)
    assert statement.claim_id == claim.pk
    assert statement.source == source
    assert statement.stance == Stance.DENIES
    assert (statement.stated_on, statement.stated_time) == (
        STATED_ON,
        datetime.time(14, 30),
    )
    assert statement.quote == "Это провокация."
    assert statement.translation == "It is a provocation."
    assert statement.is_paraphrase
    assert statement.document == document
    assert newest_history_user(statement) == editor
    assert newest_history_user(claim) == editor
    assert stored(claim).version == 2


def test_a_source_takes_one_stance_on_a_claim_once_a_day(editor):
    """The same source, stance and date on the same claim is a duplicate."""
    claim = ClaimFactory()
    source = SourceFactory()
    _attribute(claim, source, editor)

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        _attribute(claim, source, editor)

    assert NON_FIELD_ERRORS in excinfo.value.message_dict
    assert claim.statements.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"stance": Stance.DENIES}, id="other-stance"),
        pytest.param({"stated_on": STATED_ON + datetime.timedelta(days=1)}, id="day"),
        pytest.param({"source": "other"}, id="other-source"),
        pytest.param({"claim": "other"}, id="other-claim"),
    ],
)
def test_statements_differing_in_source_stance_day_or_claim_are_not_duplicates(
    change, editor
):
    claim = ClaimFactory()
    source = SourceFactory()
    _attribute(claim, source, editor)
    arguments = {
        "claim": claim,
        "source": source,
        "stance": Stance.ASSERTS,
        "stated_on": STATED_ON,
        "quote": "Said again.",
    }
    arguments.update(change)
    if arguments["source"] == "other":
        arguments["source"] = SourceFactory()
    if arguments["claim"] == "other":
        arguments["claim"] = ClaimFactory()

    services.attribute_statement(by=editor, **arguments)

    assert Statement.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quote": ""}, "quote"),
        ({"quote": "   "}, "quote"),
        ({"stance": "maybe"}, "stance"),
        ({"quote_language": "x" * 36}, "quote_language"),
    ],
)
def test_attribute_statement_refuses_bad_input(change, field, editor):
    claim = ClaimFactory()
    arguments = {
        "source": SourceFactory(),
        "stance": Stance.ASSERTS,
        "stated_on": STATED_ON,
        "quote": "We are there.",
        **change,
    }

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.attribute_statement(claim, by=editor, **arguments)

    assert field in excinfo.value.message_dict


def test_editing_a_statement_is_a_new_claim_version(other_editor):
    claim = ClaimFactory()
    statement = StatementFactory(claim=claim)
    statement.translation = "Our forces are there."

    services.save_part(statement, by=other_editor, expected_version=1)

    assert Statement.objects.get(pk=statement.pk).translation == (
        "Our forces are there."
    )
    assert stored(claim).version == 2
    assert newest_history_user(statement) == other_editor
    assert statement.history.first().history_type == "~"


def test_removing_a_statement_is_audited(editor):
    claim = ClaimFactory()
    statement = StatementFactory(claim=claim)
    pk = statement.pk

    services.remove_part(statement, by=editor, expected_version=1)

    assert not Statement.objects.filter(pk=pk).exists()
    deletion = Statement.history.filter(id=pk).first()
    assert (deletion.history_type, deletion.history_user) == ("-", editor)
    assert stored(claim).version == 2


# --- Evidence -------------------------------------------------------------------


def test_add_evidence_attaches_a_document(editor):
    claim = ClaimFactory()
    document = DocumentFactory()

    evidence = services.add_evidence(
        claim,
        document=document,
        stance=EvidenceStance.REFUTES,
        note="  Geolocated.  ",
        by=editor,
        expected_version=1,
    )

    evidence = Evidence.objects.get(pk=evidence.pk)
    assert (evidence.claim_id, evidence.document, evidence.stance, evidence.note) == (
        claim.pk,
        document,
        EvidenceStance.REFUTES,
        "Geolocated.",
    )
    assert newest_history_user(evidence) == editor
    assert stored(claim).version == 2


def test_a_document_is_evidence_for_a_claim_once(editor):
    claim = ClaimFactory()
    document = DocumentFactory()
    _add_evidence(claim, document, editor)

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.add_evidence(
            claim, document=document, stance=EvidenceStance.CONTEXT, by=editor
        )

    assert NON_FIELD_ERRORS in excinfo.value.message_dict


def test_one_document_may_be_evidence_for_several_claims(editor):
    document = DocumentFactory()
    first, second = ClaimFactory(), ClaimFactory()

    _add_evidence(first, document, editor)
    _add_evidence(second, document, editor)

    assert Evidence.objects.filter(document=document).count() == 2


def test_add_evidence_refuses_an_unknown_stance(editor):
    claim = ClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.add_evidence(
            claim, document=DocumentFactory(), stance="proves", by=editor
        )

    assert "stance" in excinfo.value.message_dict


def test_evidence_a_verdict_rests_on_cannot_be_removed(editor):
    """The timeline keeps its evidence: removal is refused on ``evidence``."""
    # given
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    services.change_status(
        claim,
        to=Status.DISPUTED,
        rationale="Sources conflict.",
        evidence=[evidence],
        by=editor,
    )

    # when
    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.remove_part(evidence, by=editor, expected_version=2)

    # then
    assert "evidence" in excinfo.value.message_dict
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert list(StatusChange.objects.get().evidence.all()) == [evidence]


def test_evidence_no_verdict_rests_on_can_be_removed(editor):
    claim = ClaimFactory()
    cited, spare = EvidenceFactory(claim=claim), EvidenceFactory(claim=claim)
    services.change_status(
        claim,
        to=Status.DISPUTED,
        rationale="Sources conflict.",
        evidence=[cited],
        by=editor,
    )
    pk = spare.pk

    services.remove_part(spare, by=editor, expected_version=2)

    assert list(claim.evidence.all()) == [cited]
    assert Evidence.history.filter(id=pk).first().history_type == "-"
    assert stored(claim).version == 3


# --- Links between claims --------------------------------------------------------


@pytest.mark.parametrize("kind", LinkKind.values)
def test_link_claims_relates_two_claims(kind, editor):
    first, second = ClaimFactory(), ClaimFactory()

    link = services.link_claims(
        first, second, kind=kind, note=" Same strike. ", by=editor, expected_version=1
    )

    link = ClaimLink.objects.get(pk=link.pk)
    assert (link.from_claim, link.to_claim, link.kind, link.note) == (
        first,
        second,
        kind,
        "Same strike.",
    )
    assert newest_history_user(link) == editor
    assert stored(first).version == 2


@pytest.mark.parametrize("kind", LinkKind.values)
def test_a_claim_cannot_be_linked_to_itself(kind, editor):
    claim = ClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.link_claims(claim, claim, kind=kind, by=editor)

    assert NON_FIELD_ERRORS in excinfo.value.message_dict


@pytest.mark.parametrize("kind", LinkKind.values)
def test_the_same_link_cannot_be_made_twice(kind, editor):
    first, second = ClaimFactory(), ClaimFactory()
    services.link_claims(first, second, kind=kind, by=editor)

    with writes_nothing(first, second), pytest.raises(ValidationError) as excinfo:
        services.link_claims(first, second, kind=kind, by=editor)

    assert NON_FIELD_ERRORS in excinfo.value.message_dict


@pytest.mark.parametrize("kind", sorted(LinkKind.symmetric()))
def test_a_symmetric_link_is_stored_in_one_direction_only(kind, editor):
    """A contradicts B means B contradicts A: the reverse link is refused."""
    first, second = ClaimFactory(), ClaimFactory()
    services.link_claims(first, second, kind=kind, by=editor)

    with writes_nothing(first, second), pytest.raises(ValidationError) as excinfo:
        services.link_claims(second, first, kind=kind, by=editor)

    assert "kind" in excinfo.value.message_dict


def test_supports_links_may_run_both_ways(editor):
    first, second = ClaimFactory(), ClaimFactory()

    services.link_claims(first, second, kind=LinkKind.SUPPORTS, by=editor)
    services.link_claims(second, first, kind=LinkKind.SUPPORTS, by=editor)

    assert ClaimLink.objects.filter(kind=LinkKind.SUPPORTS).count() == 2


def test_two_claims_may_be_linked_in_several_ways(editor):
    first, second = ClaimFactory(), ClaimFactory()

    services.link_claims(first, second, kind=LinkKind.CONTRADICTS, by=editor)
    services.link_claims(second, first, kind=LinkKind.SUPERSEDES, by=editor)

    assert ClaimLink.objects.count() == 2


def test_link_claims_refuses_an_unknown_kind(editor):
    first, second = ClaimFactory(), ClaimFactory()

    with writes_nothing(first, second), pytest.raises(ValidationError) as excinfo:
        services.link_claims(first, second, kind="echoes", by=editor)

    assert "kind" in excinfo.value.message_dict


# --- Parts stay with their claims ------------------------------------------------


@pytest.mark.parametrize(
    ("make_part", "field"),
    [
        pytest.param(lambda c: StatementFactory(claim=c), "claim", id="statement"),
        pytest.param(lambda c: EvidenceFactory(claim=c), "claim", id="evidence"),
        pytest.param(lambda c: ClaimLinkFactory(from_claim=c), "from_claim", id="link"),
    ],
)
def test_a_part_cannot_be_moved_to_another_claim(make_part, field, editor):
    """Moving a part would silently rewrite what the first claim says."""
    # given
    old_claim, new_claim = ClaimFactory(), ClaimFactory()
    part = make_part(old_claim)

    # when
    setattr(part, field, new_claim)
    with (
        writes_nothing(old_claim, new_claim),
        pytest.raises(ValidationError) as excinfo,
    ):
        services.save_part(part, by=editor)

    # then
    assert field in excinfo.value.message_dict


def test_a_link_is_a_new_version_of_both_claims(editor):
    first, second = ClaimFactory(), ClaimFactory()

    services.link_claims(first, second, kind="supports", by=editor)

    assert (stored(first).version, stored(second).version) == (2, 2)


def test_evidence_a_verdict_rests_on_stays_with_its_claim(editor):
    """Cited evidence cannot be moved to another claim: the timeline would cite
    evidence that is not this claim's, which change_status itself refuses."""
    # given
    claim, other = ClaimFactory(), ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    services.change_status(
        claim,
        to=Status.DISPUTED,
        rationale="Sources conflict.",
        evidence=[evidence],
        by=editor,
    )

    # when
    evidence.claim = other
    with writes_nothing(claim, other), pytest.raises(ValidationError) as excinfo:
        services.save_part(evidence, by=editor)

    # then
    assert set(excinfo.value.message_dict) & {"claim", "evidence"}
    assert Evidence.objects.get(pk=evidence.pk).claim_id == claim.pk
