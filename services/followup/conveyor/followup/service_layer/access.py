"""Who is calling: the back office, or a rep named by their own credential."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.catalogue.followup import RepCredentialIssued
from conveyor.followup.domain.credentials import issue_key, key_id_of, key_matches
from conveyor.followup.service_layer.commands import IssueCredential
from conveyor.followup.service_layer.context import Context
from conveyor.followup.service_layer.ports import Lookups


@dataclass(frozen=True)
class Caller:
    """The back office (is_admin) or one rep."""

    rep_id: str | None = None
    is_admin: bool = False


def credential_stream(rep_id: str) -> str:
    """The stream of a rep's credentials."""
    return f"credential-{rep_id}"


async def issue_credential(command: IssueCredential, conn: AsyncConnection, ctx: Context) -> str:
    """Record a new credential for the rep (replacing the old one); return the key, once."""
    key = issue_key()
    stream = credential_stream(command.rep_id)
    version = await ctx.streams.version(conn, stream)
    issued = RepCredentialIssued(rep_id=command.rep_id, key_id=key.key_id, key_hash=key.key_hash)
    await ctx.streams.append(conn, stream, [issued], expected_version=version)
    return key.key


async def rep_of(conn: AsyncConnection, lookups: Lookups, key: str) -> str | None:
    """The rep whose live credential the key is, if it is one."""
    key_id = key_id_of(key)
    found = await lookups.credential(conn, key_id) if key_id else None
    if found is None or not key_matches(key, found[1]):
        return None
    return found[0]
