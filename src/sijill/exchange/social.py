"""The social registry (MoLSA's beneficiaries) as a cycle's registry side: the first declared registry."""

from __future__ import annotations

from sijill.registry.models import Person

from .duplicates import store_duplicate_pairs
from .hits import store_opened_hits
from .registries import SOCIAL, Registry, register
from .registry_package import person_batches


def declare() -> Registry:
    return register(Registry(
        code=SOCIAL, label="السجل الاجتماعي الموحد", schema="example:registry",
        count=Person.objects.count, batches=person_batches, store_hits=store_opened_hits,
        store_duplicates=store_duplicate_pairs, rule_set=SOCIAL))
