"""The Spark engine's deferred kernel calls: what runs where, with no pyspark import.

Spark keeps no task outputs between jobs the way `dask.persist` or Ray's object store do, so the
engine defers each `submit` as a `Call` and runs the calls in waves (`ready`): a call whose
arguments include a partition's resident values (`Resident`: its rows, weights, strata, proxy
or a persisted state) runs in that partition's task; any other call runs on the driver, on the
small values its argument calls returned. A partition's resident values live in one dict per
partition (the "store") in a cached RDD; persisting adds to it.
"""
from __future__ import annotations

import itertools
from typing import Any, Dict, Iterable, List, Optional

_ids = itertools.count()


class Resident:
    """A value held in partition `part`'s store under `key` (never sent to the driver)."""

    __slots__ = ("part", "key")

    def __init__(self, part: int, key: str) -> None:
        self.part, self.key = part, key

    def __repr__(self) -> str:
        return f"Resident({self.part}, {self.key!r})"


class Call:
    """fn(*args), not run yet. `home`: the partition whose task runs it (None: the driver)."""

    __slots__ = ("fn", "args", "id", "home")

    def __init__(self, fn: Any, args: tuple) -> None:
        self.fn, self.args, self.id = fn, args, next(_ids)
        homes = {a.part for a in args if isinstance(a, Resident)}
        if len(homes) > 1:
            raise ValueError(f"a kernel cannot read the partitions {sorted(homes)} at once")
        self.home: Optional[int] = homes.pop() if homes else None


def pending(calls: Iterable[Call], done: Dict[int, Any]) -> List[Call]:
    """Every call that `calls` need and that has not run, each once (depth first)."""
    out: Dict[int, Call] = {}
    stack = [c for c in calls if isinstance(c, Call)]
    while stack:
        c = stack.pop()
        if c.id in done or c.id in out:
            continue
        out[c.id] = c
        stack.extend(a for a in c.args if isinstance(a, Call))
    return list(out.values())


def ready(calls: List[Call], done: Dict[int, Any]) -> List[Call]:
    """The calls whose argument calls have all run."""
    return [c for c in calls
            if all(a.id in done for a in c.args if isinstance(a, Call))]


def bound_args(call: Call, done: Dict[int, Any]) -> tuple:
    """The call's arguments with argument calls replaced by their values (residents kept)."""
    return tuple(done[a.id] if isinstance(a, Call) else a for a in call.args)


def run_in_store(store: Dict[str, Any], fn: Any, args: tuple) -> Any:
    """fn(*args) in a partition's task: residents read from the partition's store."""
    return fn(*(store[a.key] if isinstance(a, Resident) else a for a in args))
