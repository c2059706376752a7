"""A query the database refuses is a fault: a logged 500 with its traceback.
Only an outage, a timeout or a refused write is a 503 to retry.

psycopg reports some refusals as ``OperationalError``, the class of outages
too: "target lists can have at most 1664 entries" (54011), which the admin's
"Show counts" once asked for with thousands of sources. The SQLSTATE tells
them apart. The errors here are real: PostgreSQL refuses real statements, run
by views reached through real requests.
"""

from __future__ import annotations

import logging

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from verifier.exceptions import is_unavailable
from verifier.urls import urlpatterns as site_urlpatterns

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]

# More columns than PostgreSQL takes in one SELECT (1,664).
TOO_MANY_COLUMNS = "SELECT " + ", ".join(["1"] * 1700)
# A statement stopped by the statement timeout (57014).
TIMED_OUT = "SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)"


def _run(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in sql.split(";"):
            cursor.execute(statement)


def refused_page(request: HttpRequest) -> HttpResponse:
    _run(TOO_MANY_COLUMNS)
    return HttpResponse("unreachable")


def timed_out_page(request: HttpRequest) -> HttpResponse:
    _run(TIMED_OUT)
    return HttpResponse("unreachable")


@api_view(["GET"])
@permission_classes([AllowAny])
def refused_api(request: Request) -> Response:
    _run(TOO_MANY_COLUMNS)
    return Response({})


@api_view(["GET"])
@permission_classes([AllowAny])
def timed_out_api(request: Request) -> Response:
    _run(TIMED_OUT)
    return Response({})


handler500 = "verifier.views.server_error"
urlpatterns = [
    path("refused/", refused_page),
    path("timed-out/", timed_out_page),
    path("api/v1/refused/", refused_api),
    path("api/v1/timed-out/", timed_out_api),
    *site_urlpatterns,
]


@pytest.fixture
def client():
    # As in production: an exception becomes the error page, not a test failure.
    return Client(raise_request_exception=False)


def errors(caplog) -> list[logging.LogRecord]:
    """The error lines that carry a traceback."""
    return [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


def test_a_refused_query_on_a_page_is_a_500_logged_with_its_traceback(client, caplog):
    response = client.get("/refused/")

    assert response.status_code == 500
    assert "Retry-After" not in response
    [logged] = errors(caplog)
    assert "1664" in str(logged.exc_info[1])


def test_a_refused_query_in_the_api_is_a_json_500_logged_with_its_traceback(
    client, caplog
):
    response = client.get("/api/v1/refused/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "error"
    assert "Retry-After" not in response
    [logged] = errors(caplog)
    assert "1664" in str(logged.exc_info[1])


def test_a_statement_timeout_is_a_503_to_retry(client):
    page = client.get("/timed-out/")
    api = client.get("/api/v1/timed-out/")

    assert page.status_code == 503
    assert page["Retry-After"].isdigit()
    assert api.status_code == 503
    assert api.json()["code"] == "unavailable"


def test_the_connection_still_serves_after_a_refused_query(client):
    assert client.get("/refused/").status_code == 500
    assert client.get("/api/v1/claims/").status_code == 200


def _raised(sql: str) -> DatabaseError:
    with pytest.raises(DatabaseError) as raised:
        _run(sql)
    return raised.value


def test_the_sqlstate_tells_an_outage_from_a_refusal():
    refused = _raised(TOO_MANY_COLUMNS)
    timed_out = _raised(TIMED_OUT)
    unreachable = psycopg.OperationalError("connection refused")

    assert not is_unavailable(refused)
    assert is_unavailable(timed_out)
    assert is_unavailable(unreachable)
    assert not is_unavailable(ValueError("not a database error"))
