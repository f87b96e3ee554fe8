"""A small per-process cache with a time limit, for configuration read on every webhook."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

CONFIG_CACHE_SECONDS = 5.0
"""How stale a process's copy of a form source or practice configuration may be. Every webhook
reads them; five seconds saves four queries per inquiry while a settings change, a new location
or a secret rotation reaches every process within seconds (the writing process drops its copy at once,
and every web process's hub drops its copy on the `practice.configured` event, within its 2 s poll)."""


class TtlCache(Generic[V]):
    """Values that expire `ttl_seconds` after they were stored (monotonic time, not the domain clock)."""

    def __init__(self, ttl_seconds: float = CONFIG_CACHE_SECONDS, max_entries: int = 4096) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, value = entry
        if time.monotonic() - stored_at > self._ttl:
            self._entries.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: V) -> None:
        self._entries[key] = (time.monotonic(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def drop_where(self, belongs: Callable[[Hashable, V], bool]) -> None:
        """Drop every entry for which `belongs(key, value)` is true."""
        for key in [k for k, (_, v) in self._entries.items() if belongs(k, v)]:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
