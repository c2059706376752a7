"""Every admin page of every model renders for the roles that may see it,
and nobody without a staff account gets past the login page."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from claims import services
from claims.models import Claim, Status, StatusChange
from sources.models import Source

pytestmark = pytest.mark.django_db

MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in {"sources", "claims"}),
    key=lambda model: model._meta.label,
)
ids = {"ids": lambda model: model._meta.label}


def url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


@pytest.fixture(params=["superuser", "reviewer", "editor"])
def staff(request):
    return request.getfixturevalue(request.param)


def test_every_domain_model_is_registered():
    labels = {model._meta.label for model in MODELS}

    assert labels >= {
        "sources.Source",
        "sources.Document",
        "claims.Event",
        "claims.Place",
        "claims.Claim",
        "claims.Statement",
        "claims.Evidence",
        "claims.StatusChange",
        "claims.ClaimLink",
    }


def test_list_change_and_history_pages_render_on_demo_data(client, staff, demo):
    client.force_login(staff)

    for model in MODELS:
        obj = model.objects.first()
        assert obj is not None, f"the demo has no {model._meta.label}"
        for page in (
            url(model, "changelist"),
            url(model, "change", obj.pk),
            url(model, "history", obj.pk),
        ):
            response = client.get(page)
            assert response.status_code == 200, page
        if hasattr(model, "history"):
            record = obj.history.first()
            version = url(model, "simple_history", obj.pk, record.history_id)
            assert client.get(version).status_code == 200, version


@pytest.mark.parametrize(
    "model",
    [model for model in MODELS if model._meta.model_name != "statuschange"],
    **ids,
)
def test_add_pages_render_for_editors(client, editor, model):
    client.force_login(editor)

    assert client.get(url(model, "add")).status_code == 200


def test_the_timeline_cannot_be_written_by_hand(client, superuser, demo):
    client.force_login(superuser)
    change = StatusChange.objects.first()

    assert client.get(url(StatusChange, "add")).status_code == 403
    assert client.get(url(StatusChange, "delete", change.pk)).status_code == 403


def test_every_history_page_has_a_changes_column(client, editor, demo):
    client.force_login(editor)

    for model in MODELS:
        if not hasattr(model, "history"):
            continue  # the timeline is itself the record of verdicts
        response = client.get(url(model, "history", model.objects.first().pk))
        assert "Changes" in response.text, model
        assert "Changed by" in response.text, model


def test_a_claim_history_names_the_changed_field_and_both_values(client, editor, demo):
    # Not a final verdict, which only reviewers may reword.
    claim = Claim.objects.exclude(status__in=Status.final()).order_by("pk").first()
    services.update_claim(claim, by=editor, text="A reworded claim.")
    client.force_login(editor)

    response = client.get(url(Claim, "history", claim.pk))

    assert "Text: “" in response.text
    assert "” → “A reworded claim.”" in response.text
    assert "editor" in response.text


def test_a_past_version_can_be_read_but_not_restored(client, reviewer, demo):
    source = Source.objects.first()
    record = source.history.first()
    client.force_login(reviewer)
    page = reverse(
        "admin:sources_source_simple_history", args=[source.pk, record.history_id]
    )

    response = client.get(page)
    restore = client.post(page, {"name": "Overwritten", "_save": "Revert"})

    assert response.status_code == 200
    assert 'value="Revert"' not in response.text
    assert restore.status_code == 403
    source.refresh_from_db()
    assert source.name != "Overwritten"


@pytest.mark.parametrize("model", MODELS, **ids)
def test_anonymous_visitors_get_the_login_page(client, model):
    response = client.get(url(model, "changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_signed_in_users_without_staff_status_get_the_login_page(client, reader, demo):
    client.force_login(reader)
    claim = Claim.objects.first()

    for page in (
        url(Claim, "changelist"),
        url(Claim, "change", claim.pk),
        reverse("admin:claims_claim_status", args=[claim.pk]),
    ):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.url.startswith(reverse("admin:login"))


def test_the_lockout_records_are_visible_to_superusers(client, superuser):
    client.force_login(superuser)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 200


def test_admin_pages_allow_inline_styles_but_never_inline_scripts(client, superuser):
    """Select2 styles its widgets inline; scripts stay same-origin only."""
    client.force_login(superuser)

    response = client.get(url(Claim, "changelist"))

    directives = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
