"""What crosses between a workflow and the outside: the event envelope and the activities' inputs and outputs.

Pydantic models and constants only, no I/O: a workflow imports these (and the domain), never the event
store or an activity module, so no workflow loads asyncpg or httpx (tests/workflows/test_contracts_io.py).
The activity modules and the event store import their models from here.
"""
