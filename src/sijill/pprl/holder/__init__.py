"""The data holder's side: runs where the clear records live, and is the only code that reads a linkage secret::

    keys = HolderKeys.load("keys/courts")
    encode(batches, load_schema("courts.yaml"), keys, "out/courts.pkg", agency="courts")
"""

from .keys import HolderKeys, init_keys, key_info, rotate_keys, trust_key
from .local import encode_holders
from .pipeline import EncodeResult, encode

__all__ = ["EncodeResult", "HolderKeys", "encode", "encode_holders", "init_keys", "key_info", "rotate_keys",
           "trust_key"]
