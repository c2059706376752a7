"""The browser harness itself: Chromium renders a page of the app."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_login_page_renders_without_errors(live_server, page, artifacts):
    page.goto(f"{live_server.url}/admin/login/")

    assert page.get_by_label("Username").is_visible()
    page.screenshot(path=artifacts / "admin-login.png")
    assert not page.problems, page.problems
