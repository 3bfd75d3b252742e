"""What every read model's writer shares: events read as their domain type, one handler per type.

A read model declares its handlers with `@on(EventType)`; `apply` parses the stored event
into that domain class (so a handler reads `event.pathway_id`, typed, not `data["pathway_id"]`)
and skips every event type it has no handler for, without parsing it. The event store's
`ProjectionRunner` and `rebuild` call `apply` once per event, inside the batch's transaction.

Parsing validates, so every stored event must stay readable by its domain class: an event class
changed so that old events no longer fit it stops the projection at the first such event (its
batch fails and is tried again), rather than writing a row from half an event.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from types import UnionType
from typing import Any, Generic, TypeAlias, TypeVar, get_args

import asyncpg
import pydantic_core
from pydantic import BaseModel, BeforeValidator

from dualpath.contracts.events import RecordedEvent
from dualpath.domain.events import DomainEvent
from dualpath.eventstore.store import Connection

Handler: TypeAlias = Callable[[Any, Connection, Any, RecordedEvent], Awaitable[None]]
H = TypeVar("H", bound=Handler)
Row = TypeVar("Row", bound=BaseModel)

_HANDLES = "__read_model_handles__"


def on(*event_types: type[DomainEvent] | UnionType) -> Callable[[H], H]:
    """Mark a read model's method as the handler of `event_types`; a union stands for each of its
    types (the handler then `match`es on the event for what each one changes)."""
    handled = [t for u in event_types for t in (get_args(u) if isinstance(u, UnionType) else (u,))]

    def mark(handler: H) -> H:
        setattr(handler, _HANDLES, tuple(handled))
        return handler

    return mark


def streams_of(build: Callable[[str], str]) -> str:
    """What every stream id that `build` (a `workflow_ids` builder) makes starts with: the id it
    builds for an empty object id. (`workflow_ids` builds stream ids but parses none.)"""
    return build("")


class ReadModel:
    """A projection, declared `class X(ReadModel, name=…, tables=…)`: its `name` (its checkpoint), the
    `tables` it owns (emptied by a rebuild), and `stream_prefix`, when it reads only the streams of
    one kind of process."""

    name: str
    tables: tuple[str, ...]
    stream_prefix: str | None = None
    _handlers: dict[str, tuple[type[DomainEvent], Handler]] = {}

    def __init_subclass__(
        cls, *, name: str, tables: tuple[str, ...], stream_prefix: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.name, cls.tables, cls.stream_prefix = name, tables, stream_prefix
        handlers: dict[str, tuple[type[DomainEvent], Handler]] = {}
        for klass in reversed(cls.__mro__):  # a subclass's handler replaces its base's
            own: set[str] = set()
            for attribute in vars(klass).values():
                for event_type in getattr(attribute, _HANDLES, ()):
                    if event_type.type_name() in own:
                        raise TypeError(f"{klass.__name__} handles {event_type.type_name()} twice")
                    own.add(event_type.type_name())
                    handlers[event_type.type_name()] = (event_type, attribute)
        cls._handlers = handlers

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        found = self._handlers.get(event.type)
        if found is None:
            return
        if self.stream_prefix is not None and not event.stream_id.startswith(self.stream_prefix):
            return
        event_type, handler = found
        await handler(self, conn, event_type.model_validate(event.data), event)


class Table:
    """A read model's table whose rows change by their key, stamped with the event's time where the
    table keeps `updated_at`; `columns` names the column of an event field whose name differs."""

    def __init__(self, name: str, *key: str, stamped: bool = True, columns: Mapping[str, str] | None = None) -> None:
        self.name, self.key, self.stamped = name, key, stamped
        self.columns = dict(columns or {})

    async def insert(
        self, conn: Connection, event: BaseModel, exclude: Collection[str] = (), /, **columns: object
    ) -> None:
        """INSERT the row an event opens: its fields (but `exclude`) in their columns, then `columns`
        (a jsonb column as `to_jsonb` text, a value the event does not carry); nothing when a row with
        its key is there already (the event was applied before)."""
        row = {self.columns.get(field, field): value for field, value in event if field not in exclude}
        row.update(columns)
        values = ", ".join(f"${i}" for i in range(1, len(row) + 1))
        conflict = f"ON CONFLICT ({', '.join(self.key)}) DO NOTHING"
        await conn.execute(f"INSERT INTO {self.name} ({', '.join(row)}) VALUES ({values}) {conflict}", *row.values())

    def changes(self, of: Callable[[Any, RecordedEvent], Mapping[str, object]]) -> Handler:
        """A handler that UPDATEs the row of the event's key (the event names it as the table does)
        with the columns `of(event, recorded)` gives."""

        async def handler(_model: object, conn: Connection, e: Any, at: RecordedEvent) -> None:
            key = tuple(getattr(e, column) for column in self.key)
            await self.update(conn, key if len(key) > 1 else key[0], at, **of(e, at))

        return handler

    async def update(
        self,
        conn: Connection,
        key: object,
        at: RecordedEvent,
        sql: str = "",
        args: Sequence[object] = (),
        /,
        **fields: object,
    ) -> None:
        """UPDATE the row whose key is `key` (a tuple for a key of several columns): `fields` as plain
        assignments, `sql` for expressions. Parameters are numbered: the key first ($1…), then the
        time when stamped, then `args` (the ones `sql` names), then `fields`."""
        params: list[object] = list(key) if isinstance(key, tuple) else [key]
        sets: list[str] = []
        if self.stamped:
            params.append(at.recorded_at)
            sets.append(f"updated_at = ${len(params)}")
        params.extend(args)
        if sql:
            sets.append(sql)
        for column, value in fields.items():
            params.append(value)
            sets.append(f"{column} = ${len(params)}")
        where = " AND ".join(f"{column} = ${i}" for i, column in enumerate(self.key, start=1))
        await conn.execute(f"UPDATE {self.name} SET {', '.join(sets)} WHERE {where}", *params)


class Rows(Generic[Row]):
    """How readers read a table: as `model`, each field from the column of its name or the one
    `columns` gives (the model declares what is selected, once)."""

    def __init__(self, model: type[Row], table: str, columns: Mapping[str, str] | None = None) -> None:
        renamed = columns or {}
        selected = ", ".join(f'{renamed[f]} AS "{f}"' if f in renamed else f for f in model.model_fields)
        self.model, self.select = model, f"SELECT {selected} FROM {table}"

    async def one(self, pool: asyncpg.Pool, where: str, *args: object) -> Row | None:
        """The row `where` picks, or None."""
        row = await pool.fetchrow(f"{self.select} WHERE {where}", *args)
        return self.model(**dict(row)) if row else None

    async def all(self, pool: asyncpg.Pool, rest: str, *args: object) -> list[Row]:
        """The rows of the query that `rest` (a table alias, WHERE, ORDER BY, LIMIT…) completes."""
        return [self.model(**dict(r)) for r in await pool.fetch(f"{self.select} {rest}", *args)]


def to_jsonb(value: Any) -> str:
    """A value (domain models, dates and all) as the JSON text a jsonb parameter takes, written
    as the event store writes an event's data."""
    return pydantic_core.to_json(value).decode()


def _from_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# A jsonb column as the readers' models take it: asyncpg hands jsonb over as text.
FROM_JSON = BeforeValidator(_from_json)
