"""Import schemas, read from ``data/schemas.yaml`` (or a YAML file of the same shape)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from . import kinds
from .words import _builtin, header_key, vocabulary  # noqa: F401 - vocabulary: part of this module's face


class SchemaError(ValueError):
    """A schema that cannot be used, or a file whose columns do not fit the schema."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool
    headers: tuple[str, ...]


@dataclass(frozen=True)
class Schema:
    name: str
    title: str
    key: tuple[str, ...]
    fields: dict[str, Field]
    one_of: tuple[tuple[str, ...], ...] = ()

    def columns(self, header: list[str], path: Path) -> dict[str, str]:
        """field -> the file's column for it. Raises SchemaError naming a missing required column."""
        by_key = {}
        for column in header:
            by_key.setdefault(header_key(column), column)
        found = {}
        for f in self.fields.values():
            column = next((by_key[k] for k in map(header_key, f.headers) if k in by_key), None)
            if column is not None:
                found[f.name] = column
        missing = [f for f in self.fields.values() if f.required and f.name not in found]
        for group in self.one_of:
            if not any(name in found for name in group):
                missing.append(self.fields[group[0]])
        if missing:
            wanted = "; ".join(f"{f.name} ({' / '.join(f.headers)})" for f in missing)
            raise SchemaError(f"{path}: schema {self.name!r} needs columns the file lacks: {wanted}. "
                              f"The file has: {', '.join(header)}")
        return found


def schema_names() -> list[str]:
    return [k for k in _builtin() if k != "vocabularies"]


def load_schema(name_or_path: str | Path) -> Schema:
    """A built-in schema by name (members, households, enrolments, payments) or a YAML file."""
    name = str(name_or_path)
    if name in schema_names():
        return _parse(name, _builtin()[name])
    path = Path(name)
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if len(doc) != 1:
            raise SchemaError(f"{path}: a schema file holds one schema (a single top-level name)")
        ((schema_name, body),) = doc.items()
        return _parse(str(schema_name), body, path)
    raise SchemaError(f"unknown schema {name!r}: choose one of {', '.join(schema_names())} or give a .yaml file")


def _parse(name: str, body: dict, where: Path | None = None) -> Schema:
    where_txt = f"{where}: " if where else ""
    try:
        fields = {
            fname: Field(fname, spec["kind"], bool(spec.get("required", False)),
                         tuple(str(h) for h in spec.get("headers") or [fname]))
            for fname, spec in body["fields"].items()
        }
        key = tuple(body.get("key") or ())
        one_of = tuple(tuple(g) for g in body.get("one_of") or ())
    except (KeyError, TypeError, AttributeError) as e:
        raise SchemaError(f"{where_txt}schema {name!r} is malformed ({e})") from e
    for f in fields.values():
        if f.kind not in kinds.KINDS:
            raise SchemaError(f"{where_txt}schema {name!r}, field {f.name}: unknown kind {f.kind!r} "
                              f"(known: {', '.join(kinds.KINDS)})")
    unknown = [k for k in key if k not in fields] + [n for g in one_of for n in g if n not in fields]
    if unknown:
        raise SchemaError(f"{where_txt}schema {name!r} names fields it does not define: {', '.join(unknown)}")
    return Schema(name, str(body.get("title", name)), key, fields, one_of)
