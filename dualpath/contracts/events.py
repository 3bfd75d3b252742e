"""The event envelope: an event to append, an event as recorded, and what an append answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NewEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any] = Field(default_factory=dict)


class RecordedEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int
    event_id: uuid.UUID
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime


class AppendResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    stream_id: str
    first_version: int
    last_version: int
    last_position: int


class AppendEvents(BaseModel):
    """The input of activity `append_events`."""

    stream_id: str
    expected_version: int | None
    events: list[NewEvent]
