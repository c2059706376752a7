"""The domain layer: ``change_status``, the only writer of a claim's verdict."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from claims import services
from claims.models import Claim, Status, StatusChange
from tests.claims.service_checks import newest_history_user, writes_nothing
from tests.factories import (
    ClaimFactory,
    EvidenceFactory,
    PublishedClaimFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOT_UNVERIFIED = [status for status in Status if status != Status.UNVERIFIED]
FINAL = sorted(Status.final())
EDITOR_VERDICTS = [status for status in NOT_UNVERIFIED if status not in FINAL]
BLANK_TEXTS = ["", "   ", "\n\t "]
RATIONALE = "Geolocated footage and two independent reports."


@pytest.fixture
def inactive_editor(db):
    """An editor whose account was switched off."""
    user = UserFactory(username="gone-editor", is_staff=True, is_active=False)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def stored(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def move(claim: Claim, to: Status, by, **kwargs) -> StatusChange:
    """A valid status change: a rationale and a fresh piece of the claim's evidence."""
    if "evidence" not in kwargs:
        kwargs["evidence"] = [EvidenceFactory(claim=claim)]
    return services.change_status(claim, to=to, rationale=RATIONALE, by=by, **kwargs)


def claim_at(status: Status, reviewer, **factory_kwargs) -> Claim:
    """A claim already moved to ``status`` by a reviewer."""
    claim = ClaimFactory(**factory_kwargs)
    if status != Status.UNVERIFIED:
        move(claim, status, reviewer)
    return claim


# --- Rationale and evidence -------------------------------------------------------


@pytest.mark.parametrize("rationale", BLANK_TEXTS)
def test_every_change_needs_a_rationale(rationale, editor):
    """An empty or whitespace-only rationale is refused on ``rationale``."""
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.change_status(
            claim,
            to=Status.DISPUTED,
            rationale=rationale,
            evidence=[evidence],
            by=editor,
        )

    assert set(excinfo.value.message_dict) == {"rationale"}


def test_moving_back_to_unverified_needs_a_rationale_too(editor):
    claim = ClaimFactory()
    move(claim, Status.DISPUTED, editor)

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.change_status(
            claim, to=Status.UNVERIFIED, rationale=" ", evidence=[], by=editor
        )

    assert set(excinfo.value.message_dict) == {"rationale"}


@pytest.mark.parametrize("status", NOT_UNVERIFIED)
def test_every_verdict_but_unverified_rests_on_evidence(status, reviewer):
    """Without evidence, any status but ``unverified`` is refused on ``evidence``."""
    claim = ClaimFactory()
    EvidenceFactory(claim=claim)  # attached, but not cited by the change

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.change_status(
            claim, to=status, rationale=RATIONALE, evidence=[], by=reviewer
        )

    assert set(excinfo.value.message_dict) == {"evidence"}


@pytest.mark.parametrize("status", NOT_UNVERIFIED)
def test_moving_back_to_unverified_needs_no_evidence(status, reviewer):
    claim = claim_at(status, reviewer)

    change = services.change_status(
        claim, to=Status.UNVERIFIED, rationale=RATIONALE, evidence=[], by=reviewer
    )

    assert stored(claim).status == Status.UNVERIFIED
    assert (change.old_status, change.new_status) == (status, Status.UNVERIFIED)
    assert not change.evidence.exists()


def test_an_editor_moves_a_claim_back_to_unverified_without_evidence(editor):
    claim = ClaimFactory()
    move(claim, Status.DISPUTED, editor)

    services.change_status(
        claim, to=Status.UNVERIFIED, rationale=RATIONALE, evidence=[], by=editor
    )

    assert stored(claim).status == Status.UNVERIFIED


@pytest.mark.parametrize("to", [Status.DISPUTED, Status.UNVERIFIED])
@pytest.mark.parametrize("own_too", [False, True], ids=["foreign", "mixed"])
def test_evidence_of_another_claim_is_refused(to, own_too, editor):
    """Every cited piece of evidence must belong to the claim, for any target."""
    # given
    claim = ClaimFactory()
    if to == Status.UNVERIFIED:
        move(claim, Status.DISPUTED, editor)
    foreign = EvidenceFactory(claim=ClaimFactory())
    evidence = [EvidenceFactory(claim=claim), foreign] if own_too else [foreign]

    # when
    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.change_status(
            claim, to=to, rationale=RATIONALE, evidence=evidence, by=editor
        )

    # then
    assert set(excinfo.value.message_dict) == {"evidence"}


def test_all_broken_rules_are_reported_together(editor):
    """One refusal names every field that needs fixing."""
    claim = ClaimFactory()

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        services.change_status(
            claim, to=Status.DISPUTED, rationale="", evidence=[], by=editor
        )

    assert set(excinfo.value.message_dict) == {"rationale", "evidence"}


# --- The target status ------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_the_current_status_is_not_a_change(status, reviewer):
    """Moving a claim to the status it already has is refused on ``status``."""
    claim = claim_at(status, reviewer)
    evidence = EvidenceFactory(claim=claim)

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        move(claim, status, reviewer, evidence=[evidence])

    assert "status" in excinfo.value.message_dict


@pytest.mark.parametrize(
    "to", ["true", "", "Confirmed", "CONFIRMED", "verified", "partly confirmed"]
)
def test_an_unknown_status_is_refused(to, reviewer):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        move(claim, to, reviewer, evidence=[evidence])

    assert "status" in excinfo.value.message_dict


@pytest.mark.parametrize("to", [status.value for status in NOT_UNVERIFIED])
def test_a_status_may_be_given_as_its_plain_value(to, reviewer):
    """API and commands pass strings; they count as the status they name."""
    claim = ClaimFactory()

    move(claim, to, reviewer)

    assert stored(claim).status == to


# --- Who may set which verdict ------------------------------------------------------


@pytest.mark.parametrize("status", EDITOR_VERDICTS)
def test_an_editor_sets_a_non_final_verdict(status, editor):
    claim = ClaimFactory()

    move(claim, status, editor)

    assert stored(claim).status == status


@pytest.mark.parametrize("status", FINAL)
def test_only_reviewers_set_a_final_verdict(status, editor):
    """Confirmed and False by an editor: PermissionDenied, nothing written."""
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)

    with writes_nothing(claim), pytest.raises(PermissionDenied):
        move(claim, status, editor, evidence=[evidence])


@pytest.mark.parametrize("role", ["reviewer", "superuser"])
@pytest.mark.parametrize("status", NOT_UNVERIFIED)
def test_a_reviewer_sets_any_verdict(status, role, request):
    claim = ClaimFactory()

    move(claim, status, request.getfixturevalue(role))

    assert stored(claim).status == status


@pytest.mark.parametrize(
    ("final", "to"),
    [(final, to) for final in FINAL for to in Status if to != final],
)
def test_an_editor_cannot_overturn_a_final_verdict(final, to, editor, reviewer):
    """A confirmed or false claim is moved on by reviewers only."""
    claim = claim_at(final, reviewer)
    evidence = EvidenceFactory(claim=claim)

    with writes_nothing(claim), pytest.raises(PermissionDenied):
        move(claim, to, editor, evidence=[evidence])


@pytest.mark.parametrize(
    ("final", "to"),
    [(final, to) for final in FINAL for to in Status if to != final],
)
def test_a_reviewer_overturns_a_final_verdict(final, to, reviewer):
    claim = claim_at(final, reviewer)

    move(claim, to, reviewer)

    assert stored(claim).status == to


@pytest.mark.parametrize("to", list(Status))
@pytest.mark.parametrize("refused", ["reader", "inactive_editor"])
def test_a_user_without_a_role_changes_no_verdict(to, refused, request):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    by = request.getfixturevalue(refused)

    with writes_nothing(claim), pytest.raises(PermissionDenied):
        move(claim, to, by, evidence=[evidence])


# --- What a change records ---------------------------------------------------------


def test_a_change_records_the_step_of_the_timeline(editor):
    """Old and new status, rationale, evidence, who and when are all kept."""
    # given
    claim = ClaimFactory()
    cited = [EvidenceFactory(claim=claim), EvidenceFactory(claim=claim)]
    EvidenceFactory(claim=claim)  # attached but not cited
    before = timezone.now()

    # when
    change = services.change_status(
        claim,
        to=Status.PARTLY_CONFIRMED,
        rationale=f"  {RATIONALE}\n",
        evidence=cited,
        by=editor,
        expected_version=1,
    )

    # then
    change = StatusChange.objects.get(pk=change.pk)
    assert change.claim_id == claim.pk
    assert change.old_status == Status.UNVERIFIED
    assert change.new_status == Status.PARTLY_CONFIRMED
    assert change.rationale == RATIONALE
    assert set(change.evidence.all()) == set(cited)
    assert change.changed_by == editor
    assert before <= change.changed_at <= timezone.now()
    assert change.is_correction is False
    after = stored(claim)
    assert after.status == Status.PARTLY_CONFIRMED
    assert after.version == 2
    assert after.updated_at >= change.changed_at
    assert newest_history_user(claim) == editor


def test_a_change_may_be_dated_in_the_past(editor):
    claim = ClaimFactory()
    at = timezone.now() - datetime.timedelta(days=1)

    change = move(claim, Status.DISPUTED, editor, at=at)

    assert StatusChange.objects.get(pk=change.pk).changed_at == at


def test_the_claim_status_is_the_newest_verdict_of_its_timeline(reviewer):
    """Each step starts where the last one ended; the claim shows the last."""
    claim = ClaimFactory()
    path = [
        Status.DISPUTED,
        Status.PARTLY_CONFIRMED,
        Status.CONFIRMED,
        Status.UNVERIFIED,
        Status.FALSE,
    ]

    for status in path:
        move(claim, status, reviewer)

    steps = list(
        claim.status_changes.order_by("changed_at", "id").values_list(
            "old_status", "new_status"
        )
    )
    assert steps == list(zip([Status.UNVERIFIED, *path[:-1]], path, strict=True))
    assert stored(claim).status == Status.FALSE
    assert stored(claim).version == 1 + len(path)


def test_the_callers_claim_carries_the_new_status_and_version(editor):
    claim = ClaimFactory()

    move(claim, Status.DISPUTED, editor, expected_version=1)

    assert claim.status == Status.DISPUTED
    assert claim.version == 2
    assert claim.updated_at == stored(claim).updated_at


def test_a_change_on_a_draft_is_not_a_correction(editor):
    claim = ClaimFactory()

    change = move(claim, Status.DISPUTED, editor)

    assert StatusChange.objects.get(pk=change.pk).is_correction is False


def test_a_change_on_a_published_claim_is_a_correction(reviewer):
    """After publication the old verdict stays in the timeline beside the new one."""
    # given: a verdict reached while draft, then published
    claim = ClaimFactory()
    first = move(claim, Status.DISPUTED, reviewer)
    services.submit_claim(claim, by=reviewer)
    services.publish_claim(claim, by=reviewer)

    # when
    correction = move(claim, Status.FALSE, reviewer)

    # then
    correction = StatusChange.objects.get(pk=correction.pk)
    assert correction.is_correction is True
    assert (correction.old_status, correction.new_status) == (
        Status.DISPUTED,
        Status.FALSE,
    )
    assert list(claim.status_changes.order_by("changed_at", "id")) == [
        first,
        correction,
    ]
    assert StatusChange.objects.get(pk=first.pk).new_status == Status.DISPUTED
    assert stored(claim).status == Status.FALSE


def test_the_first_verdict_of_a_published_claim_is_a_correction(editor):
    """The public has already seen the claim as unverified."""
    claim = PublishedClaimFactory()

    change = move(claim, Status.DISPUTED, editor)

    assert StatusChange.objects.get(pk=change.pk).is_correction is True


# --- Dates -------------------------------------------------------------------------


def test_a_change_cannot_be_dated_before_the_previous_one(editor):
    claim = ClaimFactory()
    previous = timezone.now() - datetime.timedelta(hours=2)
    move(claim, Status.DISPUTED, editor, at=previous)
    evidence = EvidenceFactory(claim=claim)

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        move(
            claim,
            Status.MISLEADING,
            editor,
            evidence=[evidence],
            at=previous - datetime.timedelta(minutes=1),
        )

    assert set(excinfo.value.message_dict) == {"at"}


def test_a_change_may_be_dated_after_a_backdated_previous_one(editor):
    claim = ClaimFactory()
    previous = timezone.now() - datetime.timedelta(hours=2)
    move(claim, Status.DISPUTED, editor, at=previous)

    move(claim, Status.MISLEADING, editor, at=previous + datetime.timedelta(hours=1))

    assert stored(claim).status == Status.MISLEADING


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
def test_a_change_cannot_be_dated_in_the_future_or_without_a_time_zone(at, editor):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)

    with writes_nothing(claim), pytest.raises(ValidationError) as excinfo:
        move(claim, Status.DISPUTED, editor, evidence=[evidence], at=at())

    assert "at" in excinfo.value.message_dict


# --- Versions ----------------------------------------------------------------------


def test_a_change_from_a_stale_version_is_refused(editor, other_editor):
    """Another editor's verdict in between: StaleVersion, the timeline untouched."""
    claim = ClaimFactory()
    move(stored(claim), Status.DISPUTED, other_editor)
    evidence = EvidenceFactory(claim=claim)

    with writes_nothing(claim), pytest.raises(services.StaleVersion) as excinfo:
        move(claim, Status.MISLEADING, editor, evidence=[evidence], expected_version=1)

    assert "other-editor" in str(excinfo.value)
    assert stored(claim).status == Status.DISPUTED
    assert StatusChange.objects.count() == 1


def test_a_change_from_the_current_version_succeeds(editor):
    claim = ClaimFactory()
    move(claim, Status.DISPUTED, editor, expected_version=1)

    move(claim, Status.MISLEADING, editor, expected_version=2)

    assert (stored(claim).status, stored(claim).version) == (Status.MISLEADING, 3)
