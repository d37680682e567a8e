"""``POST /v1/leads:batch``: many leads in one request, streamed in, one result per row."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import IO, Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from conveyor.events.web import PROBLEM_RESPONSE, Problem
from conveyor.intake.bootstrap import IntakeService
from conveyor.intake.domain.lead import InvalidFields, InvalidLead
from conveyor.intake.entrypoints.api import IdempotencyHeader, claimed_as, fingerprint
from conveyor.intake.entrypoints.auth import ServiceDep, SourceDep
from conveyor.intake.entrypoints.batch_bodies import rows_of
from conveyor.intake.entrypoints.batch_formats import MalformedBatch
from conveyor.intake.entrypoints.cleaning import to_command
from conveyor.intake.entrypoints.schemas import LeadIn
from conveyor.intake.entrypoints.visibility import visible_lead
from conveyor.intake.service_layer.access import Caller
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.handlers import Receipt
from conveyor.intake.service_layer.idempotency import IdempotencyKeyReused
from conveyor.intake.service_layer.rate_limits import KeyNotCurrent, RateLimited

router = APIRouter(tags=["leads"], responses={s: PROBLEM_RESPONSE for s in (401, 403, 415, 429)})
SPOOL_BYTES = 1 << 20
CHUNK_ROWS = 200
"""Rows recorded per transaction: one bad row is refused alone, before the transaction."""


@router.post("/v1/leads:batch", response_class=StreamingResponse)
async def submit_batch(
    request: Request,
    source: SourceDep,
    service: ServiceDep,
    idempotency_key: IdempotencyHeader = None,
) -> StreamingResponse:
    """Accept a JSON array or a CSV file of leads; each row is accepted or refused alone."""
    rows = await rows_of(request)
    max_rows = service.settings.batch_max_rows
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+")  # noqa: SIM115
    try:
        counts = await _process(rows, spool, source, service, idempotency_key, max_rows)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return StreamingResponse(_document(spool, counts), media_type="application/json")


class _Chunk:
    """Rows waiting to be recorded together: their results in row order, commands pending."""

    def __init__(self, spool: IO[str], counts: Counter[str]) -> None:
        self.spool, self.counts = spool, counts
        self.results: list[dict[str, Any] | None] = []
        self.commands: list[tuple[int, int, ReceiveLead]] = []

    def add(self, number: int, item: dict[str, Any] | ReceiveLead) -> None:
        """Queue a row's result, or its command to be recorded on flush."""
        if isinstance(item, ReceiveLead):
            self.commands.append((len(self.results), number, item))
            self.results.append(None)
        else:
            self.results.append(item)

    async def flush(self, service: IntakeService, source: Caller) -> None:
        """Record the pending commands in one transaction, then write every result."""
        receipts = await service.receive_leads([cmd for _, _, cmd in self.commands])
        for (slot, number, _), receipt in zip(self.commands, receipts, strict=True):
            # rows carry no hit to count: the batch was counted as one request
            assert not isinstance(receipt, RateLimited | KeyNotCurrent)
            self.results[slot] = _result(number, receipt)
            if (result := self.results[slot]) and result.get("duplicate_of"):
                result["duplicate_of"] = await visible_lead(service, source, result["duplicate_of"])
        for result in self.results:
            assert result is not None
            _write(self.spool, result, self.counts)
        self.results, self.commands = [], []


async def _process(
    rows: AsyncIterator[Any],
    spool: IO[str],
    source: Caller,
    service: IntakeService,
    key: str | None,
    max_rows: int,
) -> Counter[str]:
    counts: Counter[str] = Counter()
    chunk, number = _Chunk(spool, counts), 0
    try:
        async for number, raw in _numbered(rows):
            if number > max_rows:
                chunk.add(
                    number, {"row": number, "status": "refused", "errors": _too_many(max_rows)}
                )
                break
            chunk.add(number, _command(number, raw, source, key))
            if len(chunk.results) >= CHUNK_ROWS:
                await chunk.flush(service, source)
    except MalformedBatch as exc:
        chunk.add(
            number + 1, {"row": number + 1, "status": "malformed", "errors": [_error("", str(exc))]}
        )
    await chunk.flush(service, source)
    return counts


async def _numbered(rows: AsyncIterator[Any]) -> AsyncIterator[tuple[int, Any]]:
    number = 0
    async for row in rows:
        number += 1
        yield number, row


def _command(
    number: int, raw: Any, source: Caller, key: str | None
) -> dict[str, Any] | ReceiveLead:
    """The row's ReceiveLead, or its result if it is not valid."""
    row_key = None if key is None else f"{key}#{number}"
    try:
        body = LeadIn.model_validate(raw)
        claimed_as(body, source)
        return to_command(body, source, fingerprint(body, row_key))
    except ValidationError as exc:
        errors = [_error(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
    except InvalidFields as exc:
        errors = [_error(field, reason) for field, reason in exc.errors]
    except InvalidLead as exc:
        errors = [_error(exc.field, exc.reason)]
    except Problem as exc:
        return {"row": number, "status": "refused", "errors": [_error("source", exc.detail)]}
    return {"row": number, "status": "invalid", "errors": errors}


def _result(number: int, receipt: Receipt | IdempotencyKeyReused) -> dict[str, Any]:
    if isinstance(receipt, IdempotencyKeyReused):
        return {"row": number, "status": "refused", "errors": [_error("", str(receipt))]}
    status = "duplicate" if receipt.duplicate_of else "accepted"
    return {
        "row": number,
        "status": status,
        "lead_id": receipt.lead_id,
        "duplicate_of": receipt.duplicate_of,
    }


def _write(spool: IO[str], result: dict[str, Any], counts: Counter[str]) -> None:
    spool.write(json.dumps(result) + "\n")
    counts[result["status"]] += 1


def _document(spool: IO[str], counts: Counter[str]) -> Iterator[str]:
    """``{"summary": {...}, "results": [...]}`` read back from the spool line by line."""
    try:
        yield json.dumps({"summary": {"rows": sum(counts.values()), **counts}})[:-1]
        yield ', "results": ['
        for n, line in enumerate(spool):
            yield ("," if n else "") + line.rstrip("\n")
        yield "]}"
    finally:
        spool.close()


def _error(field: str, reason: str) -> dict[str, str]:
    return {"field": field, "reason": reason}


def _too_many(max_rows: int) -> list[dict[str, str]]:
    return [_error("", f"a batch holds at most {max_rows} rows; the rest were not read")]
