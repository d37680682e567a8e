"""Batch intake: JSON arrays and CSV, per-row results, bad rows alone refused, streamed."""

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from conveyor.intake.config import Settings

from .conftest import count_leads, lead_body


def person(n: int) -> dict[str, Any]:
    return lead_body(contact={"name": f"Lead {n}", "email": f"lead{n}@example.org"})


async def post_json(client: httpx.AsyncClient, rows: list[Any], **headers: str) -> Any:
    response = await client.post("/v1/leads:batch", json=rows, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_json_batch_with_good_and_bad_rows_accepts_the_good_ones_and_names_the_bad(
    website: httpx.AsyncClient, settings: Settings
) -> None:
    rows = [
        person(1),
        lead_body(contact={"name": "No Contact"}),
        {"contact": {"name": "Bad", "email": "bad@@x", "phone": "12"}},
        "not an object",
        person(2),
        person(1),
    ]
    got = await post_json(website, rows)
    statuses = [r["status"] for r in got["results"]]
    assert statuses == ["accepted", "invalid", "invalid", "invalid", "accepted", "duplicate"]
    assert [r["row"] for r in got["results"]] == [1, 2, 3, 4, 5, 6]
    assert {e["field"] for e in got["results"][2]["errors"]} == {"contact.email", "contact.phone"}
    assert got["results"][1]["errors"][0]["field"] == "contact"
    assert got["results"][5]["duplicate_of"] == got["results"][0]["lead_id"]
    assert got["summary"] == {"rows": 6, "accepted": 2, "invalid": 3, "duplicate": 1}
    status = await website.get(f"/v1/leads/{got['results'][4]['lead_id']}")
    assert status.json()["name"] == "Lead 2"
    assert await count_leads(settings.database_url) == 3


async def test_a_csv_upload_is_read_row_by_row_with_quoted_fields_and_lists(
    website: httpx.AsyncClient,
) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["name", "email", "phone", "country", "product_lines", "note", "utm_source"])
    writer.writerow(
        ["Ada", "ada@example.org", "", "GB", "engines;looms", "line one\nline two", "x"]
    )
    writer.writerow(["Bo", "", "020 7946 0001", "GB", "", "", ""])
    writer.writerow(["", "", "", "", "", "", ""])
    writer.writerow(["Cy", "", "", "", "", "", ""])
    response = await website.post(
        "/v1/leads:batch", content=text.getvalue().encode(), headers={"content-type": "text/csv"}
    )
    got = response.json()
    assert [r["status"] for r in got["results"]] == ["accepted", "accepted", "invalid"]
    bo = (await website.get(f"/v1/leads/{got['results'][1]['lead_id']}")).json()
    assert bo["phone"] == "+442079460001"


async def test_a_retried_batch_under_one_idempotency_key_records_each_row_once(
    website: httpx.AsyncClient, settings: Settings
) -> None:
    rows = [person(n) for n in range(5)]
    first = await post_json(website, rows, **{"Idempotency-Key": "import-7"})
    again = await post_json(website, rows, **{"Idempotency-Key": "import-7"})
    assert [r["lead_id"] for r in again["results"]] == [r["lead_id"] for r in first["results"]]
    assert await count_leads(settings.database_url) == 5


async def test_a_body_that_breaks_off_keeps_the_rows_before_and_says_where(
    website: httpx.AsyncClient,
) -> None:
    body = (json.dumps([person(1), person(2)])[:-1] + ', {"contact": ').encode()
    response = await website.post(
        "/v1/leads:batch", content=body, headers={"content-type": "application/json"}
    )
    got = response.json()
    assert [r["status"] for r in got["results"]] == ["accepted", "accepted", "malformed"]
    assert got["results"][2]["row"] == 3


async def test_an_unknown_batch_format_is_415(website: httpx.AsyncClient) -> None:
    response = await website.post(
        "/v1/leads:batch", content=b"<leads/>", headers={"content-type": "application/xml"}
    )
    assert response.status_code == 415


async def chunks(rows: int, size: int = 4096) -> AsyncIterator[bytes]:
    """A JSON array of rows produced piece by piece, never whole in memory."""
    buffer = b"["
    for n in range(rows):
        buffer += (b"," if n else b"") + json.dumps(person(n)).encode()
        if len(buffer) >= size:
            yield buffer
            buffer = b""
    yield buffer + b"]"


async def test_ten_thousand_rows_stream_in_and_each_gets_a_result(
    website: httpx.AsyncClient, settings: Settings
) -> None:
    response = await website.post(
        "/v1/leads:batch",
        content=chunks(10_000),
        headers={"content-type": "application/json"},
        timeout=600,
    )
    got = response.json()
    assert got["summary"] == {"rows": 10_000, "accepted": 10_000}
    assert len({r["lead_id"] for r in got["results"]}) == 10_000
    assert await count_leads(settings.database_url) == 10_000


async def test_a_csv_file_uploaded_as_a_form_is_read_like_a_csv_body(
    website: httpx.AsyncClient,
) -> None:
    csv_file = b"name,email\nAda,ada@example.org\nBo,not-an-email\n"
    response = await website.post(
        "/v1/leads:batch", files={"file": ("leads.csv", csv_file, "application/octet-stream")}
    )
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "invalid"]


async def test_a_json_file_uploaded_as_a_form_is_read_like_a_json_body(
    website: httpx.AsyncClient,
) -> None:
    json_file = json.dumps([person(1), person(2)]).encode()
    response = await website.post(
        "/v1/leads:batch", files={"file": ("leads.json", json_file, "application/json")}
    )
    assert response.json()["summary"] == {"rows": 2, "accepted": 2}


async def test_a_form_without_a_file_is_a_problem_naming_file(website: httpx.AsyncClient) -> None:
    response = await website.post(
        "/v1/leads:batch",
        files={"other": ("x.csv", b"name\nA\n", "text/csv")},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "file", "reason": "attach the batch (CSV or JSON) as the form field 'file'"}
    ]
