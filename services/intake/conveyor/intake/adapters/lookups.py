"""The statements on a lead's path, built once: the same person's newest lead together with
the newest checklist's id (one round trip, under the log lock), and the idempotency replies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Insert,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from conveyor.intake.adapters.tables import idempotency_replies, leads, metadata
from conveyor.intake.domain.duplicates import PersonKeys
from conveyor.intake.service_layer.checklists import CHECKLIST_STREAM

events = metadata.tables["events"]


_LEAD_ROW = (
    literal("lead", String).label("kind"),
    leads.c.lead_id.label("id"),
    leads.c.email_key,
    leads.c.phone,
    leads.c.received_at,
    leads.c.status,
    leads.c.won_at,
    cast(null(), Integer).label("version"),
)
"""A lead (not a touch) as the lookups give it, in the columns the checklist's row fills."""


def _newest_lead(*, email: bool, phone: bool) -> Select[Any]:
    matches = []
    if email:
        matches.append(leads.c.email_key == bindparam("email"))
    if phone:
        matches.append(leads.c.phone == bindparam("phone"))
    return (
        select(*_LEAD_ROW)
        .where(leads.c.duplicate_of.is_(None))
        .where(or_(*matches))
        .order_by(leads.c.received_at.desc())
        .limit(1)
    )


_NEWEST_CHECKLIST = (
    select(
        literal("checklist", String).label("kind"),
        events.c.event_id.label("id"),
        null().label("email_key"),
        null().label("phone"),
        null().label("received_at"),
        null().label("status"),
        null().label("won_at"),
        events.c.version,
    )
    .where(events.c.stream_id == CHECKLIST_STREAM)
    .order_by(events.c.version.desc())
    .limit(1)
)


def _with_checklist(lead: Select[Any]) -> CompoundSelect[Any]:
    return union_all(select(lead.subquery()), select(_NEWEST_CHECKLIST.subquery()))


_SAME_PERSON = {
    (email, phone): _with_checklist(_newest_lead(email=email, phone=phone))
    for email, phone in ((True, False), (False, True), (True, True))
}


def same_person(keys: PersonKeys) -> tuple[CompoundSelect[Any], dict[str, str | None]]:
    """The statement (and its parameters) giving the person's newest lead and the newest
    checklist's event: rows of (kind, id, email_key, phone, received_at, status, won_at,
    version)."""
    statement = _SAME_PERSON[(bool(keys.email), bool(keys.phone))]
    return statement, {"email": keys.email, "phone": keys.phone}


def _people(email_in: Any, phone_in: Any) -> CompoundSelect[Any]:
    leads_of = select(*_LEAD_ROW).where(leads.c.duplicate_of.is_(None), or_(email_in, phone_in))
    return _with_checklist(leads_of)


def _newest_of_each(column: Any, keys: str) -> Select[Any]:
    """The newest lead (not a touch) of each of the ``keys`` (an array parameter), found by
    one probe of the column's index per key."""
    given = func.unnest(bindparam(keys, type_=postgresql.ARRAY(Text))).table_valued("key")
    given = given.render_derived(name=f"{keys}_given")
    newest = (
        select(*_LEAD_ROW)
        .where(leads.c.duplicate_of.is_(None), column == given.c.key)
        .order_by(leads.c.received_at.desc(), leads.c.lead_id.desc())
        .limit(1)
        .lateral(f"newest_of_{keys}")
    )
    return select(newest).select_from(given.join(newest, true()))


PEOPLE = {
    "postgresql": union_all(
        _newest_of_each(leads.c.email_key, "emails"),
        _newest_of_each(leads.c.phone, "phones"),
        select(_NEWEST_CHECKLIST.subquery()),
    ),
    "sqlite": _people(
        leads.c.email_key.in_(bindparam("emails", expanding=True)),
        leads.c.phone.in_(bindparam("phones", expanding=True)),
    ),
}
"""By dialect: the leads (not touches) of these e-mail keys (``emails``) or phones
(``phones``), at least the newest of each (all that ``KnownPeople`` keeps), and the newest
checklist's event; rows as ``same_person`` gives them. One statement for a group of
arrivals. On PostgreSQL its text is the same whatever their number, and each key is one
index probe: a match on ``email_key = ANY(...)`` read the whole table while PostgreSQL had
no statistics of it yet (a fresh database's first minute under load)."""


REPLY = select(idempotency_replies).where(
    idempotency_replies.c.source_id == bindparam("source_id"),
    idempotency_replies.c.idempotency_key == bindparam("key"),
)
"""The reply stored under a source's Idempotency-Key."""


def _insert_reply(insert: Any) -> Insert:
    statement: Insert = (
        insert(idempotency_replies)
        .on_conflict_do_nothing(
            index_elements=[idempotency_replies.c.source_id, idempotency_replies.c.idempotency_key]
        )
        .returning(idempotency_replies.c.lead_id)
    )
    return statement


INSERT_REPLY = {
    "postgresql": _insert_reply(postgresql.insert),
    "sqlite": _insert_reply(sqlite.insert),
}
"""By dialect: insert a reply unless its key is taken; a row comes back only if inserted."""
