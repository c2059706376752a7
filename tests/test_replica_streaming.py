"""Reads from a real streaming replica, under gunicorn with the production
settings.

A throwaway primary with the demo data, a hot standby streaming from it
(``pg_basebackup -R``, bench/clusters.py), and gunicorn with
``DATABASE_URL`` at the primary and ``DATABASE_REPLICA_URL`` at the standby.
Replay on the standby is paused while a claim changes, so the replica is
certainly behind: an anonymous reader then sees the old text (the replica
answered), while the writer, the admin and a client pinned by its own write
see the new one, and a client holding the new ``ETag`` never gets the old
version back. No request is ever answered with a 5xx, and nothing is logged
with a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from bench import clusters
from tests.test_settings import manage, production_env
from tests.test_throttling import serve

pytestmark = pytest.mark.skipif(
    clusters.available() is not None,
    reason=f"no throwaway PostgreSQL clusters here: {clusters.available()}",
)

PASSWORD = "replica-test-password-1"
NEW_TEXT = "Changed on the primary while the replica was paused."


class Site:
    def __init__(self, primary: clusters.Cluster, standby: clusters.Cluster, port: int):
        self.primary = primary
        self.standby = standby
        self.base = f"http://127.0.0.1:{port}"

    def session(self, token: str | None = None) -> requests.Session:
        session = requests.Session()
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        original = session.request

        def request(method: str, url: str, **kwargs) -> requests.Response:
            response = original(method, self.base + url, timeout=30, **kwargs)
            # Whatever a test asks, the server never answers with a 5xx.
            assert response.status_code < 500, (method, url, response.status_code)
            return response

        session.request = request  # type: ignore[method-assign]
        return session

    def standby_queries(self) -> list[str]:
        """The last statement of each app connection to the standby."""
        return [
            row[0]
            for row in self.standby.execute(
                "SELECT query FROM pg_stat_activity "
                "WHERE datname = 'verifier' AND backend_type = 'client backend' "
                "AND pid <> pg_backend_pid()"
            )
        ]


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with clusters.primary_and_standby() as (primary, standby):
        primary.execute("CREATE DATABASE verifier")
        env = {"DEBUG": "1", "DATABASE_URL": primary.url("verifier")}
        for command in (
            ["migrate", "--noinput", "-v0"],
            ["load_demo"],
            [
                "shell",
                "-c",
                "from django.contrib.auth.models import Group, User; "
                f"u = User.objects.create_user('reviewer', password='{PASSWORD}', "
                "is_staff=True); u.groups.add(Group.objects.get(name='Reviewers'))",
            ],
        ):
            done = manage(*command, **env)
            assert done.returncode == 0, done.stderr
        token = manage("issue_token", "reviewer", **env).stdout.strip()
        collected = manage("collectstatic", "--noinput", "-v0", **production_env())
        assert collected.returncode == 0, collected.stderr
        clusters.wait_for_replay(primary, standby)
        process, port = serve(
            DATABASE_URL=primary.url("verifier"),
            DATABASE_REPLICA_URL=standby.url("verifier"),
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            API_THROTTLE_ANON="100000/minute",
            WEB_CONCURRENCY="1",
        )
        site = Site(primary, standby, port)
        site.token = token
        try:
            yield site
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
            process.terminate()
            _, log = process.communicate(timeout=30)
    assert "Traceback" not in log.decode()


def a_claim(site: Site) -> dict:
    return site.session().get("/api/v1/claims/").json()["results"][0]


def test_anonymous_pages_and_api_reads_are_served_by_the_replica(site):
    slug = a_claim(site)["slug"]
    anonymous = site.session()
    for path in ("/", f"/claims/{slug}/", "/api/v1/claims/", f"/api/v1/claims/{slug}/"):
        assert anonymous.get(path).status_code == 200, path

    queries = site.standby_queries()
    assert site.standby.in_recovery()
    assert any("claims_claim" in query or "EXECUTE" in query for query in queries), (
        queries
    )


def test_a_write_is_seen_by_its_writer_and_not_yet_by_the_lagging_replica(site):
    claim = a_claim(site)
    slug, old_text = claim["slug"], claim["text"]
    editor = site.session(site.token)
    anonymous = site.session()
    pinned = site.session()
    etag = editor.get(f"/api/v1/claims/{slug}/").headers["ETag"]
    site.standby.execute("SELECT pg_wal_replay_pause()")
    try:
        # when: the editor changes the claim while the replica replays nothing
        changed = editor.patch(
            f"/api/v1/claims/{slug}/",
            json={"text": NEW_TEXT},
            headers={"If-Match": etag},
        )
        assert changed.status_code == 200, changed.text
        new_etag = changed.headers["ETag"]
        # and an anonymous client writes something (a failed sign-in), which
        # pins it to the primary for a while
        refused = pinned.post(
            "/api/v1/auth/login/", json={"username": "nobody", "password": "x"}
        )
        assert "verifier_primary" in refused.cookies

        # then: the writer reads its write, again and again
        for _ in range(5):
            mine = editor.get(f"/api/v1/claims/{slug}/")
            assert mine.json()["text"] == NEW_TEXT
            assert mine.headers["ETag"] == new_etag
        # so does the pinned client, on the API and the page
        assert pinned.get(f"/api/v1/claims/{slug}/").json()["text"] == NEW_TEXT
        assert NEW_TEXT in pinned.get(f"/claims/{slug}/").text
        # a client that holds the new version never gets the old one back
        conditional = anonymous.get(
            f"/api/v1/claims/{slug}/", headers={"If-None-Match": new_etag}
        )
        assert conditional.status_code == 304
        # the same for a list page and a claim page, whose ETags are made of
        # what they show
        for path in ("/api/v1/claims/", f"/claims/{slug}/"):
            held = pinned.get(path).headers["ETag"]
            again = anonymous.get(path, headers={"If-None-Match": held})
            assert again.status_code == 304, path
        # while a reader with nothing to show for it reads the lagging replica
        assert anonymous.get(f"/api/v1/claims/{slug}/").json()["text"] == old_text
        assert NEW_TEXT not in anonymous.get(f"/claims/{slug}/").text
    finally:
        site.standby.execute("SELECT pg_wal_replay_resume()")
    clusters.wait_for_replay(site.primary, site.standby)
    assert anonymous.get(f"/api/v1/claims/{slug}/").json()["text"] == NEW_TEXT


def test_the_admin_reads_the_primary(site):
    claim = a_claim(site)
    admin = site.session()
    form = admin.get("/admin/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    signed_in = admin.post(
        "/admin/login/?next=/admin/",
        data={
            "username": "reviewer",
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf,
        },
        headers={"Referer": site.base + "/admin/login/"},
    )
    assert signed_in.status_code == 200
    site.standby.execute("SELECT pg_wal_replay_pause()")
    try:
        etag = admin.get(
            f"/api/v1/claims/{claim['slug']}/",
            headers={"Authorization": f"Bearer {site.token}"},
        ).headers["ETag"]
        text = "Changed again, for the admin to show."
        changed = site.session(site.token).patch(
            f"/api/v1/claims/{claim['slug']}/",
            json={"text": text},
            headers={"If-Match": etag},
        )
        assert changed.status_code == 200
        listing = admin.get("/admin/claims/claim/", params={"q": "for the admin"})
        assert listing.status_code == 200
        assert text in listing.text
    finally:
        site.standby.execute("SELECT pg_wal_replay_resume()")
