"""Fault injection for the tests that kill a job mid-way and check that a restart loses and doubles nothing.

``SIJILL_FAULT=NAME[:N]`` kills the process (SIGKILL: no clean-up, no ``finally``, like a power cut or the
out-of-memory killer) the N-th time (default: the first) it passes ``point(NAME)``. Unset, a point costs one
dictionary look-up. Never set in production.
"""

from __future__ import annotations

import os
import signal

_passed: dict[str, int] = {}


def point(name: str) -> None:
    wanted = os.environ.get("SIJILL_FAULT")
    if not wanted:
        return
    target, _, nth = wanted.partition(":")
    if target != name:
        return
    _passed[name] = _passed.get(name, 0) + 1
    if _passed[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
