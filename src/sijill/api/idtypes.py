"""Which identifier types the API accepts, and how each finds persons: data, not code.

Each app that adds identifier types keeps them in its own ``data/id_types.csv`` (columns ``id_type``,
``resolver`` = ``module:function``, ``what it is``); the ration registry adds its card number there without
changing this app. A type is matched case-insensitively.
"""

from __future__ import annotations

import csv
import importlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

ID_TYPE_FILES = ("api", "ration")


@dataclass(frozen=True)
class IdType:
    code: str
    resolver: str
    what: str
    app: str

    def resolve(self, value):
        """(canonical value, Person queryset); ValueError with the reason when the value is not valid."""
        module, _, name = self.resolver.partition(":")
        return getattr(importlib.import_module(module), name)(value)


@cache
def types() -> dict[str, IdType]:
    table: dict[str, IdType] = {}
    for app in ID_TYPE_FILES:
        path = resources.files("sijill") / app / "data" / "id_types.csv"
        if not path.is_file():
            continue
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
        for row in csv.DictReader(lines):
            code = row["id_type"].strip().upper()
            if code in table:
                raise ValueError(f"identifier type {code} is declared twice ({table[code].app}, {app})")
            if ":" not in row["resolver"]:
                raise ValueError(f"{app}/data/id_types.csv: resolver of {code} must read module:function")
            table[code] = IdType(code, row["resolver"].strip(), row.get("what it is", "").strip(), app)
    return table


def get(code: str) -> IdType | None:
    return types().get(str(code or "").strip().upper())
