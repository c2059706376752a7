"""Who has a claim in hand: set by editors and up, only to someone on the
desk, audited, a new version of the claim that no public page shows."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from claims import services
from claims.models import Claim, PageVersion
from tests.factories import ClaimFactory, PublishedClaimFactory, UserFactory

pytestmark = pytest.mark.django_db


def stored(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


@pytest.mark.parametrize("role", ["editor", "reviewer", "superuser"])
def test_editors_and_up_assign_a_claim(role, request, other_editor):
    claim = ClaimFactory()
    by = request.getfixturevalue(role)

    services.assign_claim(claim, to=other_editor, by=by, expected_version=1)

    after = stored(claim)
    assert after.assignee == other_editor
    assert claim.assignee == other_editor
    newest = after.history.first()
    assert (newest.assignee_id, newest.history_user) == (other_editor.pk, by)


def test_assigning_is_a_new_version_that_leaves_public_pages_alone(
    editor, other_editor
):
    """The ETag and the history tell who has the claim; a copy loaded before
    is stale; what the claim says, and when it last changed, stay."""
    claim = PublishedClaimFactory()
    updated_at = stored(claim).updated_at
    counters = list(PageVersion.objects.order_by("name").values_list())

    services.assign_claim(claim, to=other_editor, by=editor)

    after = stored(claim)
    assert (after.version, after.updated_at) == (claim.version, updated_at)
    assert list(PageVersion.objects.order_by("name").values_list()) == counters
    with pytest.raises(services.StaleVersion):
        services.update_claim(
            claim, by=editor, text="Reworded.", expected_version=after.version - 1
        )


def test_a_claim_is_unassigned_with_none(editor):
    claim = ClaimFactory(assignee=editor)

    services.assign_claim(claim, to=None, by=editor)

    assert stored(claim).assignee is None


def test_assigning_the_same_person_again_writes_nothing(editor):
    claim = ClaimFactory()
    services.assign_claim(claim, to=editor, by=editor)
    rows = claim.history.count()

    services.assign_claim(claim, to=editor, by=editor)

    assert claim.history.count() == rows


@pytest.mark.parametrize(
    "who",
    ["reader", "inactive", "not_staff_editor", "staff_without_role"],
)
def test_only_active_staff_who_edit_claims_are_assigned(who, reader, editor):
    people = {
        "reader": lambda: reader,
        "inactive": lambda: UserFactory(
            username="gone", is_staff=True, is_active=False
        ),
        "not_staff_editor": lambda: _in_editors(UserFactory(username="outsider")),
        "staff_without_role": lambda: UserFactory(username="intern", is_staff=True),
    }
    claim = ClaimFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.assign_claim(claim, to=people[who](), by=editor)

    assert "assignee" in excinfo.value.message_dict
    assert stored(claim).assignee is None


def _in_editors(user):
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_a_reader_cannot_assign(reader, editor):
    claim = ClaimFactory()

    with pytest.raises(PermissionDenied):
        services.assign_claim(claim, to=editor, by=reader)

    assert stored(claim).assignee is None


def test_a_stale_assignment_is_refused(editor, other_editor):
    claim = ClaimFactory()
    services.update_claim(stored(claim), by=other_editor, text="Reworded.")

    with pytest.raises(services.StaleVersion):
        services.assign_claim(claim, to=editor, by=editor, expected_version=1)

    assert stored(claim).assignee is None


def test_a_departed_user_leaves_their_claims_unassigned(editor):
    gone = _in_editors(UserFactory(username="leaving", is_staff=True))
    claim = ClaimFactory()
    services.assign_claim(claim, to=gone, by=editor)

    gone.delete()

    assert stored(claim).assignee is None


# --- the API -----------------------------------------------------------------


def test_the_staff_detail_shows_the_assignee_and_the_public_one_does_not(
    api, editor, other_editor
):
    claim = PublishedClaimFactory(slug="in-hand")
    path = "/api/v1/claims/in-hand/"

    assigned = api(editor).post(
        f"{path}assign/",
        {"assignee": other_editor.pk},
        format="json",
        HTTP_IF_MATCH=claim.etag,
    )

    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"] == "other-editor"
    # A client holding the old ETag is told the claim changed.
    assert assigned["ETag"] != claim.etag
    revalidated = api(editor).get(path, HTTP_IF_NONE_MATCH=claim.etag)
    assert revalidated.status_code == 200
    assert api(editor).get(path).json()["assignee"] == "other-editor"
    public = api().get(path)
    assert public.json()["assignee"] is None
    assert "other-editor" not in public.content.decode()


def test_the_api_unassigns_with_null(api, editor):
    claim = ClaimFactory(slug="let-go", assignee=editor)

    response = api(editor).post(
        "/api/v1/claims/let-go/assign/",
        {"assignee": None},
        format="json",
        HTTP_IF_MATCH=claim.etag,
    )

    assert response.status_code == 200
    assert response.json()["assignee"] is None


@pytest.mark.parametrize("value", [999999, "abc", -1, 10**30])
def test_the_api_refuses_an_unknown_assignee_with_a_400(value, api, editor):
    claim = ClaimFactory(slug="nobody")

    response = api(editor).post(
        "/api/v1/claims/nobody/assign/",
        {"assignee": value},
        format="json",
        HTTP_IF_MATCH=claim.etag,
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]
    assert stored(claim).assignee is None


def test_the_api_refuses_a_reader_as_assignee(api, editor, reader):
    claim = ClaimFactory(slug="not-a-reader")

    response = api(editor).post(
        "/api/v1/claims/not-a-reader/assign/",
        {"assignee": reader.pk},
        format="json",
        HTTP_IF_MATCH=claim.etag,
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]


def test_the_list_filters_by_assignee_for_staff_only(api, editor, other_editor):
    mine = PublishedClaimFactory(slug="mine", assignee=editor)
    PublishedClaimFactory(slug="theirs", assignee=other_editor)
    PublishedClaimFactory(slug="nobodys")

    def slugs(client, value):
        response = client.get(f"/api/v1/claims/?assignee={value}")
        assert response.status_code == 200
        return [claim["slug"] for claim in response.json()["results"]]

    assert slugs(api(editor), "me") == [mine.slug]
    assert slugs(api(editor), "other-editor") == ["theirs"]
    assert slugs(api(), "editor") == []


# --- the admin ---------------------------------------------------------------


def test_the_claim_page_assigns_to_me_and_through_the_chooser(
    client, editor, other_editor
):
    claim = ClaimFactory()
    url = reverse("admin:claims_claim_assign", args=[claim.pk])
    client.force_login(editor)

    mine = client.post(url, {"to_me": "1", "version": 1}, follow=True)
    assert stored(claim).assignee == editor
    assert "Assigned to editor." in mine.text

    client.post(url, {"assignee": other_editor.pk, "version": 2})
    assert stored(claim).assignee == other_editor

    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).text
    assert f'value="{other_editor.pk}" selected' in page


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "999999"])
def test_the_admin_refuses_an_unknown_assignee_with_a_message(value, client, editor):
    claim = ClaimFactory()
    client.force_login(editor)

    response = client.post(
        reverse("admin:claims_claim_assign", args=[claim.pk]),
        {"assignee": value, "version": 1},
        follow=True,
    )

    assert response.status_code == 200
    assert "No such user." in response.text
    assert stored(claim).assignee is None


def test_the_assign_to_me_list_action(client, editor):
    first, second = ClaimFactory(), PublishedClaimFactory()
    client.force_login(editor)

    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "assign_to_me", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert "Assigned to you: 2 claims." in response.text
    assert {stored(first).assignee, stored(second).assignee} == {editor}
