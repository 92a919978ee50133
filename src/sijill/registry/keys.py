"""The search keys of a person, computed by sijill.identity: the one place that decides them."""

from __future__ import annotations

from sijill.identity import IDENTITY_VERSION, parse_name

KEY_FIELDS = ("given_key", "father_key", "grandfather_key", "surname_key", "mother_key",
              "given_skel", "father_skel", "grandfather_skel", "keys_version")


def chain_keys(chain) -> dict[str, str]:
    """Canonical parts (variants and nicknames collapsed) and cross-script skeletons of a NameChain."""
    canon, skel = chain.canonical, chain.skeleton
    return {
        "given_key": canon.given or "", "father_key": canon.father or "",
        "grandfather_key": canon.grandfather or "", "surname_key": chain.surname_key or "",
        "mother_key": canon.mother or "",
        "given_skel": skel.given or "", "father_skel": skel.father or "", "grandfather_skel": skel.grandfather or "",
        "keys_version": IDENTITY_VERSION,
    }


def person_keys(given: str, father: str, grandfather: str, surname: str, mother: str) -> dict[str, str]:
    return chain_keys(parse_name(given=given or None, father=father or None, grandfather=grandfather or None,
                                 surname=surname or None, mother=mother or None))
