"""Rows of a batch read from a streamed body, one at a time: a JSON array, or CSV."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import AsyncIterator
from typing import Any

LIST_SEPARATOR = ";"
CONTACT = ("name", "email", "phone", "company", "job_title")
LOCATION = ("country", "region", "city", "postal_code")
INTEREST = ("industry", "company_size", "budget", "note")
TOP = ("channel", "source", "source_ref")


class MalformedBatch(ValueError):
    """The body stopped being a JSON array of objects (or CSV) at some point."""


async def json_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
    """Each element of a JSON array, decoded as soon as its bytes have arrived."""
    reader = _ArrayReader()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    async for chunk in chunks:
        for row in reader.feed(utf8.decode(chunk)):
            yield row
    for row in reader.feed(utf8.decode(b"", final=True)):
        yield row
    reader.finish()


class _ArrayReader:
    """A JSON array read piece by piece: '[', rows separated by ',', ']'."""

    def __init__(self) -> None:
        self.text, self.started, self.after_row, self.ended = "", False, False, False
        self.decoder = json.JSONDecoder()

    def feed(self, piece: str) -> list[Any]:
        """The rows completed by this piece of text."""
        self.text = (self.text + piece).lstrip()
        rows: list[Any] = []
        if not self.started and self.text:
            if self.text[0] != "[":
                raise MalformedBatch("a JSON batch is an array: it starts with '['")
            self.text, self.started = self.text[1:].lstrip(), True
        while self.started and self.text and not self.ended:
            if not self._step(rows):
                break
        return rows

    def _step(self, rows: list[Any]) -> bool:
        head = self.text[0]
        if head == "]":
            self.ended, self.text = True, self.text[1:].lstrip()
        elif self.after_row:
            if head != ",":
                raise MalformedBatch("rows of a JSON batch are separated by ','")
            self.after_row, self.text = False, self.text[1:].lstrip()
        else:
            try:
                row, end = self.decoder.raw_decode(self.text)
            except json.JSONDecodeError:
                return False  # incomplete: wait for more text
            rows.append(row)
            self.after_row, self.text = True, self.text[end:].lstrip()
        return True

    def finish(self) -> None:
        """MalformedBatch unless exactly one whole array was read."""
        if not self.ended or self.text:
            raise MalformedBatch("the body is not a complete JSON array")


async def csv_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    """Each CSV record after the header row, as a lead body (see ``lead_from_csv``)."""
    header: list[str] | None = None
    async for record in _records(chunks):
        [values] = list(csv.reader([record]))
        if header is None:
            header = [name.strip() for name in values]
            continue
        if any(value.strip() for value in values):
            yield lead_from_csv(dict(zip(header, values, strict=False)))


async def _records(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """CSV records, a quoted field spanning lines kept whole."""
    utf8, pending, record = codecs.getincrementaldecoder("utf-8-sig")(), "", ""
    async for chunk in chunks:
        pending += utf8.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            record += line + "\n"
            if record.count('"') % 2 == 0:
                yield record
                record = ""
    if (rest := record + pending + utf8.decode(b"", final=True)).strip():
        yield rest


def lead_from_csv(row: dict[str, str]) -> dict[str, Any]:
    """A lead body from a CSV row: contact, location and interest columns by their names,
    ``product_lines`` separated by ';', ``consent`` true/false, ``utm_*`` and ``custom.*``."""
    cells = {k: v.strip() for k, v in row.items() if k and v is not None and v.strip()}
    body: dict[str, Any] = {k: cells[k] for k in TOP if k in cells}
    body["contact"] = {k: cells[k] for k in CONTACT if k in cells}
    body["location"] = {k: cells[k] for k in LOCATION if k in cells}
    interest: dict[str, Any] = {k: cells[k] for k in INTEREST if k in cells}
    if "product_lines" in cells:
        interest["product_lines"] = [p.strip() for p in cells["product_lines"].split(";")]
    body["interest"] = interest
    if "consent" in cells:
        body["consent"] = cells["consent"].lower() in ("true", "yes", "1", "y")
    body["utm"] = {k: v for k, v in cells.items() if k.startswith("utm_")}
    body["custom"] = {k[7:]: v for k, v in cells.items() if k.startswith("custom.")}
    return body
