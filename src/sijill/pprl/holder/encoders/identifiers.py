"""The national ID and the ration card: one keyed token per record, the valid ones only."""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill import identity

from ...format.fields import NATIONAL_ID, RATION_CARD
from ..tokens import Tokenizer
from .base import FieldEncoder, Read, Rows, Shared, random_tokens

_INDIC_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}


def ration_card(value: str) -> str:
    """A ration card number as letters and ASCII digits only (spaces, dashes and slashes dropped)."""
    out = []
    for ch in unicodedata.normalize("NFKC", value):
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch.isalnum():
            out.append(ch.upper())
    if not out:
        raise identity.InvalidIdentifier(value, "ration card number has no letters or digits")
    return "".join(out)


class IdentifierEncoder(FieldEncoder):
    """A person's number: its token where ``parse`` accepts it; an invalid one is reported and left out."""

    field = RATION_CARD
    parse = staticmethod(ration_card)

    def __init__(self, shared: Shared):
        self.reads = (self.field.name,)
        self.tokenizer = Tokenizer(shared.keys.subkey("token/" + self.field.name))

    def read(self, values: dict[str, pa.Array], n: int, *, dummy: bool) -> Read:
        name = self.field.name
        if name not in values:
            tokens, ok, bad = np.zeros(n, np.int64), np.zeros(n, bool), []
        elif dummy:  # identifiers of dummies are random: they must never equal a real person's token
            (tokens, ok), bad = random_tokens(values[name]), []
        else:
            tokens, ok, bad = self.tokens(values[name])
        return Read({"token": tokens, "ok": ok}, bad, identifies=ok)

    def tokens(self, column: pa.Array) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
        """Tokens of a column (int64), which are valid, and (position, reason) of the invalid ones."""
        n = len(column)
        tokens, ok = np.zeros(n, np.int64), np.zeros(n, bool)
        return tokens, ok, self.slow(column, np.arange(n), tokens, ok)

    def slow(self, column: pa.Array, positions: np.ndarray, tokens: np.ndarray, ok: np.ndarray):
        """Value by value through ``parse``: fills ``tokens`` and ``ok``, returns (position, reason)."""
        bad = []
        raws = column.take(pa.array(positions, pa.int64())).to_pylist()
        for i, raw in zip(positions.tolist(), raws, strict=True):
            found = self.token(raw)
            if type(found) is int:
                tokens[i], ok[i] = found, True
            elif type(found) is str:
                bad.append((i, found))
        return bad

    def token(self, raw: str | None) -> int | str | None:
        """The token of one value, ``None`` when empty, or the reason it is invalid."""
        if raw is None or not raw.strip():
            return None
        try:
            return self.tokenizer(self.parse(raw))
        except identity.IdentityError as e:
            return e.reason

    def columns(self, rows: Rows, masks) -> dict[str, pa.Array]:
        s = rows.state(self)
        return {self.field.name: pa.array(s["token"], pa.int64(), mask=~s["ok"])}


class NationalIdEncoder(IdentifierEncoder):
    """The 12-digit national number, with the common case done for the whole column.

    Twelve digits in ASCII, Arabic-Indic or Persian script and nothing else (``identity.national_id``'s own
    fast path) are found and turned into ASCII by Arrow, placeholders (one digit repeated) are found by
    numpy, and the rest are hashed in one loop (``Tokenizer.many``): about 1 us a record less. Every other
    value goes through ``identity.national_id``: same tokens, same reasons.
    """

    field = NATIONAL_ID
    parse = staticmethod(identity.national_id)

    def tokens(self, column: pa.Array) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
        n = len(column)
        text = column
        if pc.any(pc.invert(pc.string_is_ascii(column))).as_py():
            for code, digit in _INDIC_DIGITS.items():
                text = pc.replace_substring(text, chr(code), digit)
        fast = pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{12}$"), False)
        digits = text.filter(fast)
        matrix = np.zeros((0, 12), np.uint8)
        if len(digits):  # the values back to back, twelve bytes each
            offsets = np.frombuffer(digits.buffers()[1], np.int32)[digits.offset : digits.offset + len(digits) + 1]
            matrix = np.frombuffer(digits.buffers()[2], np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 12)
        placeholder = (matrix == matrix[:, :1]).all(axis=1)
        where = np.flatnonzero(fast.to_numpy(zero_copy_only=False))
        tokens, ok = np.zeros(n, np.int64), np.zeros(n, bool)
        tokens[where[~placeholder]] = self.tokenizer.many(matrix[~placeholder].view("S12").ravel().tolist())
        ok[where[~placeholder]] = True
        rest = np.ones(n, bool)
        rest[where[~placeholder]] = False
        return tokens, ok, self.slow(column, np.flatnonzero(rest), tokens, ok)
