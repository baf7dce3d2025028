"""Server-Timing: how long each pipeline stage of a request took (when server-timing is enabled)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class StageTimer:
    """Marks stage boundaries; `header()` renders `name;dur=ms` pairs in the order they happened."""

    enabled: bool
    _last: float = field(default_factory=time.perf_counter)
    _stages: list[tuple[str, float]] = field(default_factory=list)

    def mark(self, stage: str) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        self._stages.append((stage, (now - self._last) * 1000))
        self._last = now

    def header(self) -> str | None:
        if not self.enabled or not self._stages:
            return None
        return ", ".join(f"{name};dur={ms:.1f}" for name, ms in self._stages)


OFF = StageTimer(False)  # shared when Server-Timing is disabled: marks nothing, so it holds no state
