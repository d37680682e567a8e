"""Which reader a batch request's body needs: JSON, CSV, or either as an uploaded file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from conveyor.events.web import Problem
from conveyor.intake.entrypoints.batch_formats import csv_rows, json_rows

READ_BYTES = 64 * 1024
Reader = Callable[[AsyncIterator[bytes]], AsyncIterator[Any]]
READERS: dict[str, Reader] = {
    "application/json": json_rows,
    "text/csv": csv_rows,
    "application/csv": csv_rows,
}


async def rows_of(request: Request) -> AsyncIterator[Any]:
    """The rows of a batch: the body itself, or the form's ``file`` (multipart upload)."""
    kind = _media_type(request.headers.get("content-type", "application/json"))
    if kind != "multipart/form-data":
        return _reader(kind)(request.stream())
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        reason = "attach the batch (CSV or JSON) as the form field 'file'"
        raise Problem(422, "No batch file", reason, errors=[{"field": "file", "reason": reason}])
    by_name = "text/csv" if (upload.filename or "").lower().endswith(".csv") else None
    return _reader(by_name or _media_type(upload.content_type or ""))(_chunks(upload))


def _reader(kind: str) -> Reader:
    if kind not in READERS:
        raise Problem(415, "Unsupported batch format", "Send JSON, CSV or a form with 'file'.")
    return READERS[kind]


def _media_type(header: str) -> str:
    return header.split(";")[0].strip().lower()


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    """The uploaded file piece by piece (Starlette spools it to disk past 1 MiB)."""
    while chunk := await upload.read(READ_BYTES):
        yield chunk
