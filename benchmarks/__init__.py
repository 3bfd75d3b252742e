"""`make bench`: the engine measured side by side with a bare Temporal baseline (see docs/benchmarks.md)."""
