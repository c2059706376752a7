"""The Editors and Reviewers groups created by claims/migrations/0002_roles.py."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


VIEWABLE_MODELS = [
    "sources.source",
    "sources.document",
    "claims.event",
    "claims.place",
    "claims.claim",
    "claims.statement",
    "claims.evidence",
    "claims.claimlink",
    "claims.statuschange",
]

EDITOR_PERMISSIONS = [
    *[
        f"{app}.view_{model}"
        for app, model in (label.split(".") for label in VIEWABLE_MODELS)
    ],
    "sources.add_source",
    "sources.change_source",
    "sources.add_document",
    "sources.change_document",
    "claims.add_event",
    "claims.change_event",
    "claims.add_place",
    "claims.change_place",
    "claims.add_claim",
    "claims.change_claim",
    "claims.change_claim_status",
    "claims.add_statement",
    "claims.change_statement",
    "claims.delete_statement",
    "claims.add_evidence",
    "claims.change_evidence",
    "claims.delete_evidence",
    "claims.add_claimlink",
    "claims.change_claimlink",
    "claims.delete_claimlink",
]

REVIEWER_ONLY_PERMISSIONS = [
    "claims.publish_claim",
    "claims.set_final_status",
    "claims.set_reference_place",
    "sources.set_reference_source",
    "claims.delete_claim",
    "claims.delete_event",
    "claims.delete_place",
    "sources.delete_source",
    "sources.delete_document",
]

# The timeline is append-only: rows are written by claims.services, never by hand.
NOBODY_PERMISSIONS = [
    "claims.add_statuschange",
    "claims.change_statuschange",
    "claims.delete_statuschange",
]


def fresh(user):
    """The user re-read from the database, with no cached permissions."""
    return get_user_model().objects.get(pk=user.pk)


def test_migration_creates_both_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Editors",
        "Reviewers",
    }


@pytest.mark.parametrize("permission", EDITOR_PERMISSIONS)
def test_editors_and_reviewers_share_the_editing_permissions(
    editor, reviewer, permission
):
    assert fresh(editor).has_perm(permission)
    assert fresh(reviewer).has_perm(permission)


@pytest.mark.parametrize("permission", REVIEWER_ONLY_PERMISSIONS)
def test_only_reviewers_publish_set_final_verdicts_and_delete(
    editor, reviewer, permission
):
    assert not fresh(editor).has_perm(permission)
    assert fresh(reviewer).has_perm(permission)


@pytest.mark.parametrize("permission", NOBODY_PERMISSIONS)
def test_no_role_writes_the_timeline_directly(editor, reviewer, permission):
    assert not fresh(editor).has_perm(permission)
    assert not fresh(reviewer).has_perm(permission)


def test_reviewers_hold_exactly_the_editor_permissions_and_more():
    """Every permission of Editors is also a permission of Reviewers."""
    editors = set(Group.objects.get(name="Editors").permissions.all())
    reviewers = set(Group.objects.get(name="Reviewers").permissions.all())

    assert editors < reviewers
    assert {
        f"{p.content_type.app_label}.{p.codename}" for p in reviewers - editors
    } == set(REVIEWER_ONLY_PERMISSIONS)


def test_editors_hold_exactly_the_listed_permissions():
    editors = Group.objects.get(name="Editors").permissions.select_related(
        "content_type"
    )

    assert {f"{p.content_type.app_label}.{p.codename}" for p in editors} == set(
        EDITOR_PERMISSIONS
    )


@pytest.mark.parametrize(
    "permission",
    EDITOR_PERMISSIONS + REVIEWER_ONLY_PERMISSIONS + NOBODY_PERMISSIONS,
)
def test_reader_without_a_group_has_no_permission(reader, permission):
    assert not fresh(reader).has_perm(permission)
