"""The registry's own package, encoded on the server from its records in the database, with the registry's key
folder: what `sijill encode` would do with an export of the member list, without the export. The records and
the schema come from the cycle's registry declaration (``registries``); ``person_batches`` is the social
registry's.

The map (reference -> record number) goes to ``maps/<cycle>/``, never beside the package the hub reads.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sijill.pprl.format import LinkageSchema
from sijill.pprl.format.package import MANIFEST
from sijill.pprl.format.schema import load_schema
from sijill.pprl.holder import HolderKeys, encode
from sijill.registry.models import Person

from . import storage
from .cycles import CycleError
from .models import Cycle, Package, PackageStatus
from .uploads import REGISTRY, store_registry_map

BATCH = 50_000
# canonical field of the registry's linkage schema -> how a Person gives it
FIELDS = {
    "given_name": lambda p: p.given, "father_name": lambda p: p.father, "grandfather_name": lambda p: p.grandfather,
    "surname": lambda p: p.surname, "mother_name": lambda p: p.mother, "birth_date": lambda p: _birth(p),
    "national_id": lambda p: p.national_id, "governorate": lambda p: p.governorate, "sex": lambda p: p.sex,
}
PAYLOAD = {
    "رقم الأسرة": lambda p: p.membership.household.household_id if _member(p) else None,
    "صلة القرابة": lambda p: str(p.membership.get_relation_display()) if _member(p) else None,
    "إعاقة": lambda p: None if p.disability is None else ("نعم" if p.disability else "لا"),
}


def _member(person: Person) -> bool:
    return hasattr(person, "membership")


def _birth(person: Person) -> str | None:
    """The birth date as precise as it is known: 1985-03-02, 1985-03 or 1985."""
    if person.birth_date and person.birth_precision == "day":
        return person.birth_date.isoformat()
    if person.birth_date and person.birth_precision == "month":
        return person.birth_date.strftime("%Y-%m")
    return str(person.birth_year) if person.birth_year else None


def person_batches(schema: LinkageSchema) -> Iterator[dict[str, list]]:
    """The social registry's persons as the columns its linkage schema names, in batches."""
    columns = {schema.record_id: lambda p: p.record_id}
    for field, cols in schema.fields.items():
        if field not in FIELDS:
            raise CycleError(f"the registry's linkage schema maps {field}, which the registry does not hold")
        columns[cols[0]] = FIELDS[field]
    for name in schema.payload:
        if name not in PAYLOAD:
            raise CycleError(f"the registry's linkage schema carries {name}, which the registry does not hold")
        columns[name] = PAYLOAD[name]
    people = Person.objects.select_related("membership__household").order_by("pk")
    batch: list[Person] = []
    with translation.override("ar"):
        for person in people.iterator(chunk_size=5_000):
            batch.append(person)
            if len(batch) == BATCH:
                yield {c: [get(p) for p in batch] for c, get in columns.items()}
                batch = []
        if batch:
            yield {c: [get(p) for p in batch] for c, get in columns.items()}


def encode_registry(cycle: Cycle, *, user=None, request=None, workers: int = 1) -> Package:
    """Encode and sign the records of ``cycle``'s registry; the package is accepted into the cycle."""
    from sijill.audit.trail import record

    from .registries import get

    keys = HolderKeys.load(storage.registry_keys_dir())
    if keys.cycle != cycle.code:
        raise CycleError(_("The registry's keys are those of cycle %(keys)s, not of cycle %(cycle)s.")
                         % {"keys": keys.cycle, "cycle": cycle.code})
    declared = get(cycle.registry)
    expected = declared.count()
    if not expected:
        raise CycleError(_("The registry has no members to match."))
    schema = load_schema(declared.schema)
    tmp = Path(tempfile.mkdtemp(prefix="registry-", dir=storage.incoming_dir()))
    try:
        result = encode(declared.batches(schema), schema, keys, tmp / "registry.pkg", agency=REGISTRY,
                        source="the registry's database", workers=workers, expected_rows=expected)
        body = (result.package / MANIFEST).read_bytes()
        sha256 = hashlib.sha256(body).hexdigest()  # the manifest holds the encodings' own SHA-256
        name = f"{REGISTRY}-{sha256[:12]}.pkg"
        target = storage.packages_dir(cycle.code) / name
        size = sum(f.stat().st_size for f in result.package.iterdir())
        storage.replace_dir(result.package, target)
        store_registry_map(result.map, cycle, name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with transaction.atomic():
        Package.objects.filter(cycle=cycle, agency=None, status=PackageStatus.ACCEPTED).update(superseded=True)
        package = Package.objects.create(
            cycle=cycle, agency=None, status=PackageStatus.ACCEPTED, path=storage.relative(target), sha256=sha256,
            size_bytes=size, records=result.records, schema=REGISTRY, schema_version=result.manifest.schema_hash,
            identity_version=result.manifest.identity_version, payload_fields=list(schema.payload),
            uploaded_by=user if getattr(user, "pk", None) else None)
    record("package_encoded", request=request, user=user, actor=None if user else "worker", target=package,
           cycle=cycle.code, records=result.encoded, sha256=sha256)
    return package
