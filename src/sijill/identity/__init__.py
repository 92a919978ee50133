"""Arabic and Iraqi identity normalisation: the one place that decides how a name, a national
number, a date, a governorate or a sex is written before any matching.

Every data holder must run the same ``IDENTITY_VERSION``; it is recorded in each package.
"""

from .dates import PartialDate, parse_date
from .errors import IdentityError, InvalidDate, InvalidIdentifier, UnknownValue
from .ids import national_id
from .lexicon import data_fingerprint
from .names import NameChain, NameParts, parse_name, surname_key
from .places import GOVERNORATES, governorate, sex
from .rasm import rasm
from .skeleton import bloom_text, canonical, latin_to_arabic_key, skeleton
from .text import normalize_text, to_ascii_digits

IDENTITY_VERSION = f"1.0+{data_fingerprint()}"

__all__ = [
    "GOVERNORATES",
    "IDENTITY_VERSION",
    "IdentityError",
    "InvalidDate",
    "InvalidIdentifier",
    "NameChain",
    "NameParts",
    "PartialDate",
    "UnknownValue",
    "bloom_text",
    "canonical",
    "governorate",
    "latin_to_arabic_key",
    "national_id",
    "normalize_text",
    "parse_date",
    "parse_name",
    "rasm",
    "sex",
    "skeleton",
    "surname_key",
    "to_ascii_digits",
]
