"""The routing settings of a rep, as the admin API takes them."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from conveyor.router.adapters.holidays import holiday_checker

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SETTINGS = (
    "territories",
    "segments",
    "product_lines",
    "languages",
    "working_hours",
    "holiday_country",
    "holiday_subdivision",
)
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Subdivision = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,3}$")]


class CapacityIn(BaseModel):
    """Caps on leads offered: per local day, per local week, open (unaccepted) at once."""

    per_day: int | None = Field(default=None, ge=0)
    per_week: int | None = Field(default=None, ge=0)
    max_open: int | None = Field(default=None, ge=0)


class RepSettingsIn(BaseModel):
    """Routing settings; what is left out does not restrict the rep."""

    territories: list[Tag] | None = None
    segments: list[Tag] | None = None
    product_lines: list[Tag] | None = None
    languages: list[Tag] | None = None
    working_hours: dict[Weekday, list[tuple[Clock, Clock]]] | None = None
    capacity: CapacityIn | None = None
    weight: int | None = Field(default=None, ge=1, le=100)
    holiday_country: Country | None = None
    """Public holidays of this country (ISO 3166 alpha-2) stop the rep's SLA clocks."""
    holiday_subdivision: Subdivision | None = None

    @model_validator(mode="after")
    def _known_calendar(self) -> RepSettingsIn:
        holiday_checker(self.holiday_country, self.holiday_subdivision)  # ValueError: 422
        return self

    @model_validator(mode="after")
    def _spans_run_forward(self) -> RepSettingsIn:
        for day, spans in (self.working_hours or {}).items():
            for start, end in spans:
                if _clock(start) >= _clock(end):
                    raise ValueError(f"working_hours.{day}: {start}-{end} does not run forward")
        return self

    def settings(self) -> dict[str, Any]:
        """The settings given, in the shape rep events carry."""
        given = self.model_dump(include={*SETTINGS, "capacity", "weight"}, exclude_unset=True)
        return {k: v for k, v in given.items() if v is not None}


def _clock(text: str) -> time:
    return time.max if text == "24:00" else time.fromisoformat(text)


class AvailabilityIn(BaseModel):
    """Available or not, from now on."""

    available: bool
    reason: str | None = Field(default=None, max_length=200)


class AbsenceIn(BaseModel):
    """An absence: whole days or part of a day, in absolute time."""

    absence_id: Tag | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ends_after_start(self) -> AbsenceIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


def as_utc(moment: datetime) -> datetime:
    """The same moment in UTC."""
    return moment.astimezone(UTC)
