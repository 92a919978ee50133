"""What the hub answers when it refuses: an HTTP status, a short code and a sentence for the caller."""

from __future__ import annotations


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
