"""``export_data`` / ``import_data``: the whole dataset with its history as
JSON Lines; export, import into an empty database and export again gives the
same bytes."""

import io
import json
import sys

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from claims import services
from claims.dataset import exported_models, label
from claims.models import Claim, Status
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_data", "--no-progress", *args, stdout=out)
    return out.getvalue()


def import_(text: str, *args: str) -> str:
    path = io.StringIO(text)
    out = io.StringIO()
    # "-" reads standard input; the command reads sys.stdin at call time.
    saved, sys.stdin = sys.stdin, path
    try:
        call_command("import_data", "-", "--no-progress", *args, stdout=out)
    finally:
        sys.stdin = saved
    return out.getvalue()


def empty_the_database() -> None:
    """Delete every exported row (role groups stay: migrations make them)."""
    models = [m for m in exported_models() if label(m) != "auth.group"]
    tables = {m._meta.db_table for m in models} | {
        field.remote_field.through._meta.db_table
        for m in models
        for field in m._meta.many_to_many
    }
    # DELETE, not TRUNCATE: the test's transaction holds deferred foreign key
    # checks, which TRUNCATE refuses to run under.
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608


@pytest.fixture
def newsroom(world, editor, reviewer):
    """The world of the API tests, with more history: edits, a correction."""
    services.update_claim(
        world.published,
        by=editor,
        text="Українські сили діють у Бєлгородській області.",
    )
    services.update_claim(world.draft, by=editor, places=[world.village, world.region])
    extra = EvidenceFactory(claim=world.published, document=world.spare_document)
    services.change_status(
        world.published,
        to=Status.PARTLY_CONFIRMED,
        rationale="Геолокация видео подтверждает часть.",
        evidence=[extra],
        by=reviewer,
    )
    world.event.places.set([world.region, world.village])
    return world


def test_export_import_export_gives_identical_bytes(newsroom):
    first = export()
    empty_the_database()
    assert not Claim.objects.exists()

    result = import_(first)
    second = export()

    assert "Imported" in result
    assert second == first


def test_the_export_is_json_lines_with_history_and_readable_cyrillic(newsroom):
    lines = export().splitlines()
    objects = [json.loads(line) for line in lines]
    models = {obj["model"] for obj in objects}

    assert {
        "sources.source",
        "claims.claim",
        "claims.statuschange",
        "claims.historicalclaim",
        "claims.historicalclaim_places",
        "auth.user",
    } <= models
    assert any("Бєлгородській області." in line for line in lines)
    users = [obj for obj in objects if obj["model"] == "auth.user"]
    assert {"editor", "reviewer"} <= {u["fields"]["username"] for u in users}
    assert all("password" not in u["fields"] and "pk" not in u for u in users)
    history = [obj for obj in objects if obj["model"] == "claims.historicalclaim"]
    assert {"editor", "reviewer"} <= {
        h["fields"]["history_user"][0] for h in history if h["fields"]["history_user"]
    }


def test_passwords_only_when_asked(newsroom, editor):
    with_passwords = export("--with-passwords")
    empty_the_database()

    import_(with_passwords)

    assert User.objects.get(username="editor").password == editor.password


def test_imported_users_without_a_password_cannot_sign_in(newsroom):
    exported = export()
    empty_the_database()

    import_(exported)

    assert not User.objects.get(username="editor").has_usable_password()


def test_new_rows_after_an_import_take_new_ids(newsroom, reviewer):
    exported = export()
    highest = Claim.objects.order_by("-pk").first().pk
    empty_the_database()
    import_(exported)

    claim = services.create_claim(
        text="After the import.", by=User.objects.get(username="reviewer")
    )

    assert claim.pk > highest


def test_an_import_refuses_a_database_with_data(newsroom):
    exported = export()

    with pytest.raises(CommandError, match="already has data"):
        import_(exported)


def test_a_broken_file_imports_nothing(newsroom):
    lines = export().splitlines()
    empty_the_database()
    broken = "\n".join([*lines[:-3], "{not json", *lines[-3:]])

    with pytest.raises(CommandError, match="not an exported object"):
        import_(broken)

    assert not Claim.objects.exists()
    assert not User.objects.exists()


def test_the_export_reports_its_progress_on_standard_error(newsroom, tmp_path):
    err = io.StringIO()
    target = tmp_path / "export.jsonl"

    call_command("export_data", "-o", str(target), stderr=err)

    claims = Claim.objects.count()
    assert f"claims.claim: {claims}" in err.getvalue().splitlines()
    assert target.read_text(encoding="utf-8").count('"model":"claims.claim"') == claims
