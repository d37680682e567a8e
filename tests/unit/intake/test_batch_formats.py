"""Batch bodies read row by row however the bytes are split."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from conveyor.intake.entrypoints.batch_formats import (
    MalformedBatch,
    csv_rows,
    json_rows,
    lead_from_csv,
)

ROWS = [{"contact": {"name": 'Zoë, "Z"', "email": "z@x.org"}}, {"contact": {"name": "Ŭ"}}, {}]


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def collect(rows: AsyncIterator[Any]) -> list[Any]:
    return [row async for row in rows]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
async def test_a_json_array_gives_its_rows_whatever_the_chunk_size(size: int) -> None:
    data = json.dumps(ROWS, ensure_ascii=False, indent=1).encode()
    assert await collect(json_rows(pieces(data, size))) == ROWS


async def test_an_empty_json_array_gives_no_rows() -> None:
    assert await collect(json_rows(pieces(b" [ ] ", 2))) == []


@pytest.mark.parametrize("body", [b"{}", b'[{"a": 1} {"b": 2}]', b'[{"a": 1}', b"", b"[1] x"])
async def test_a_body_that_is_not_a_json_array_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBatch):
        await collect(json_rows(pieces(body, 3)))


@pytest.mark.parametrize("size", [1, 5, 1000])
async def test_csv_rows_keep_quoted_newlines_and_skip_blank_lines(size: int) -> None:
    data = b'name,email,note\r\nAda,ada@x.org,"two\nlines"\n,,\nBo,bo@x.org,\n'
    rows = await collect(csv_rows(pieces(data, size)))
    assert [r["contact"]["name"] for r in rows] == ["Ada", "Bo"]
    assert rows[0]["interest"]["note"] == "two\nlines"


def test_a_csv_row_maps_to_a_lead_body() -> None:
    body = lead_from_csv(
        {
            "name": " Ada ",
            "country": "GB",
            "product_lines": "engines; looms",
            "consent": "yes",
            "utm_source": "fair",
            "custom.crm_id": "42",
            "unknown": "ignored",
            "channel": "import",
        }
    )
    assert body["contact"] == {"name": "Ada"}
    assert body["location"] == {"country": "GB"}
    assert body["interest"] == {"product_lines": ["engines", "looms"]}
    assert (body["consent"], body["utm"], body["custom"]) == (
        True,
        {"utm_source": "fair"},
        {"crm_id": "42"},
    )
    assert body["channel"] == "import"
