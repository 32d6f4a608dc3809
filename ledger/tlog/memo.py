"""Results derived from the ledger, remembered while the ledger has not grown.

What a public page derives from the ledger (a lot's journey, the key registry, the latest
checkpoint and its signature, an inclusion proof) changes only when an entry is appended, so it is
remembered under the tree size it was read at. Master data (the names on the page) can change
without an entry, so nothing is remembered longer than ``ttl`` seconds either. One per process,
bounded, safe to share between threads.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class LedgerMemo:
    def __init__(self, ttl: float = 30.0, capacity: int = 2048) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        size: int,
        key: Hashable,
        compute: Callable[[], T],
        keep: Callable[[T], bool] | None = None,
    ) -> T:
        """``compute()`` as of tree size ``size``, remembered for later calls at that size
        (unless ``keep`` says the value may change at the same size)."""
        full_key = (size, key)
        now = time.monotonic()
        with self._lock:
            found = self._items.get(full_key)
            if found is not None and now - found[0] < self.ttl:
                self._items.move_to_end(full_key)
                return found[1]  # type: ignore[no-any-return]
        value = compute()
        if keep is not None and not keep(value):
            return value
        with self._lock:
            self._items[full_key] = (now, value)
            self._items.move_to_end(full_key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
