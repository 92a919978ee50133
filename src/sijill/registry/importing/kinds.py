"""How each kind of value in a registry file is read. Each reader takes the cell's text and returns the
value to store, or raises ``Invalid`` with a reason an analyst understands."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from functools import cache, lru_cache
from importlib import resources

from sijill import identity
from sijill.identity import to_ascii_digits

from .words import header_key, vocabulary


class Invalid(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _identity(reader):
    def read(text: str):
        try:
            return reader(text)
        except identity.IdentityError as e:
            raise Invalid(e.reason) from None

    return read


def code(text: str) -> str:
    value = " ".join(to_ascii_digits(text).split())
    if len(value) > 64:
        raise Invalid("longer than 64 characters")
    return value


def text_value(text: str) -> str:
    value = " ".join(text.split())
    if len(value) > 255:
        raise Invalid("longer than 255 characters")
    return value


@lru_cache(maxsize=200_000)
def name(text: str) -> str:
    value = " ".join(text.split())
    if not identity.normalize_text(value):
        raise Invalid("no letters in the name")
    if len(value) > 100:
        raise Invalid("longer than 100 characters")
    return value


def date(text: str) -> identity.PartialDate:
    return _identity(identity.parse_date)(text)


def month(text: str) -> dt.date:
    d = date(text)
    if d.month is None:
        raise Invalid("a year alone is not a month; write the month too (2024-03)")
    return dt.date(d.year, d.month, 1)


_AMOUNT_NOISE = re.compile(r"(?i)\s|,|٬|iqd|د\.?ع\.?|دينار")


def amount(text: str) -> int:
    clean = _AMOUNT_NOISE.sub("", to_ascii_digits(text))
    if clean.endswith(".0") or clean.endswith(".00"):
        clean = clean.rsplit(".", 1)[0]
    if not clean.isdigit():
        raise Invalid("an amount in dinars must be a whole number")
    value = int(clean)
    if value > 2_000_000_000:
        raise Invalid("amount is implausibly large")
    return value


def _word(vocabulary_name: str, what: str) -> Callable[[str], str]:
    @lru_cache(maxsize=1_000)
    def read(text: str) -> str:
        found = vocabulary(vocabulary_name).get(header_key(text))
        if found is None:
            raise Invalid(f"not a known {what}")
        return found

    return read


@cache
def _relations() -> dict[str, str]:
    text = (resources.files("sijill.registry") / "data" / "relations.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    table = {}
    for row in rows:
        for word in (row["code"], row["ar"], row["en"], *row["aliases"].split("|"), *row["ar"].split(" / ")):
            table[header_key(word)] = row["code"]
    return table


@lru_cache(maxsize=1_000)
def relation(text: str) -> str:
    found = _relations().get(header_key(text))
    if found is None:
        raise Invalid("not a known relation to the head of household")
    return found


@lru_cache(maxsize=1_000)
def yes_no(text: str) -> bool:
    return _word("yes_no", "yes/no value")(text) == "true"


_PHONE_SPLIT = re.compile(r"[/,،؛;|\\]+|\s{2,}| و ")
_PHONE_NOISE = re.compile(r"[\s\-().]")
IRAQ = {"latitude": (29.0, 37.5), "longitude": (38.7, 48.7)}  # the country's bounding box, with a margin


def _one_phone(text: str) -> str:
    digits = _PHONE_NOISE.sub("", to_ascii_digits(text))
    if digits.startswith("+964"):
        digits = "0" + digits[4:]
    elif digits.startswith("00964"):
        digits = "0" + digits[5:]
    elif digits.startswith("964") and len(digits) == 13:
        digits = "0" + digits[3:]
    elif digits.startswith("7") and len(digits) == 10:
        digits = "0" + digits
    if not digits.isdigit():
        raise Invalid(f"not a phone number: {text.strip()}")
    if digits.startswith("07"):
        if len(digits) != 11:
            raise Invalid(f"a mobile number has 11 digits (07XXXXXXXXX): {text.strip()}")
    elif not (digits.startswith("0") and 8 <= len(digits) <= 10):
        raise Invalid(f"not an Iraqi phone number (07XXXXXXXXX, or a landline with its area code): {text.strip()}")
    return digits


def phones(text: str) -> str:
    """One or more Iraqi phone numbers as 07XXXXXXXXX (+964 and 00964 folded), space-separated. Numbers are
    separated by / , ، ; or spaces; one number may itself be written with spaces (0770 123 4567)."""
    found: list[str] = []
    for part in (p.strip() for p in _PHONE_SPLIT.split(text)):
        if not part:
            continue
        try:
            found.append(_one_phone(part))
        except Invalid:
            if len(part.split()) < 2:
                raise
            found.extend(_one_phone(token) for token in part.split())
    value = " ".join(dict.fromkeys(found))
    if len(value) > 100:
        raise Invalid("more phone numbers than the field holds")
    return value


def _coordinate(axis: str) -> Callable[[str], float]:
    low, high = IRAQ[axis]

    def read(text: str) -> float:
        clean = to_ascii_digits(text).replace("٫", ".").replace(",", ".").strip().rstrip("°NE")
        try:
            value = round(float(clean), 6)
        except ValueError:
            raise Invalid(f"a {axis} is a decimal number of degrees (33.312800)") from None
        if not low <= value <= high:
            raise Invalid(f"a {axis} in Iraq is between {low} and {high}; are latitude and longitude swapped?")
        return value

    return read


KINDS: dict[str, Callable[[str], object]] = {
    "code": code,
    "text": text_value,
    "name": name,
    "date": date,
    "month": month,
    "amount": amount,
    "national_id": _identity(identity.national_id),
    "governorate": _identity(identity.governorate),
    "sex": _identity(identity.sex),
    "relation": relation,
    "yes_no": yes_no,
    "phones": phones,
    "latitude": _coordinate("latitude"),
    "longitude": _coordinate("longitude"),
    "enrolment_status": _word("enrolment_status", "enrolment status (active, suspended, stopped)"),
    "payment_status": _word("payment_status", "payment status (paid, returned, pending)"),
}
