"""Files that only their owner may read: secrets, keys, opened hits. Created once, here, the same way everywhere."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO


def create_private(path: Path | str, mode: str = "w", *, exclusive: bool = True) -> IO:
    """Open a new file readable and writable by its owner only (0600), from its first byte.

    ``exclusive`` refuses to replace an existing file, so a secret is never overwritten by accident.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.chmod(path, 0o600)  # an existing file kept its old mode through O_TRUNC
    return os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline="")
