"""Households: a married couple with their unmarried children; a divorced wife with her children; a
divorced husband alone; unmarried siblings whose parents have both died. The head is the husband, else
the wife, else the eldest member alive on the date asked about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .names import FEMALE, MALE
from .population import Population
from .timeline import NEVER

# Relations to the head, as a registry or a ration card records them.
RELATIONS = ("head", "wife", "husband", "son", "daughter", "brother", "sister", "father", "mother", "other")
RELATIONS_AR = ("رب الأسرة", "زوجة", "زوج", "ابن", "ابنة", "أخ", "أخت", "أب", "أم", "أخرى")


@dataclass
class Households:
    of_person: np.ndarray  # household index of each person (-1: died before the registry began)
    count: int
    couple: np.ndarray  # the household's couple (-1 for a divorced husband or a person alone)
    divorced_side: np.ndarray  # True for a divorced wife's household
    order: np.ndarray  # members in head-priority order, grouped by household

    def head_at(self, pop: Population, when: np.ndarray) -> np.ndarray:
        """The head of each household on ``when[h]`` (-1 when nobody in it was alive then)."""
        m = self.order
        h = self.of_person[m]
        alive = (pop.birth[m] <= when[h]) & (pop.death[m] > when[h])
        m, h = m[alive], h[alive]
        first = np.r_[True, h[1:] != h[:-1]]
        head = np.full(self.count, -1, dtype=np.int32)
        head[h[first]] = m[first]
        return head


def build_households(pop: Population, since: int) -> Households:
    """Households of everyone alive on or after ``since`` (the dead stay listed where they lived)."""
    c = pop.couples
    n_couples = len(c["husband"])
    n = len(pop)
    pid = np.arange(n, dtype=np.int64)
    own = pop.couple
    married = own >= 0
    divorced = married & (c["divorced"][np.maximum(own, 0)] < NEVER)
    alone = 2 * n_couples + pid
    key = np.where(married & ~divorced, 2 * own, alone)
    key = np.where(divorced & (pop.sex == FEMALE), 2 * own + 1, key)
    parents = np.where(pop.father_pid >= 0, own[np.maximum(pop.father_pid, 0)], -1)
    parents_div = (parents >= 0) & (c["divorced"][np.maximum(parents, 0)] < NEVER)
    child_key = np.where(parents_div, 2 * parents + 1, 2 * parents)
    key = np.where(~married & (parents >= 0), child_key, key)
    present = pop.death >= since
    keys, inverse = np.unique(key[present], return_inverse=True)
    of_person = np.full(n, -1, dtype=np.int32)
    of_person[present] = inverse
    couple = np.where(keys < 2 * n_couples, keys // 2, -1).astype(np.int32)
    divorced_side = (keys < 2 * n_couples) & (keys % 2 == 1)
    rank = np.where(married & (pop.sex == MALE), 0, np.where(married, 1, 2))
    members = np.flatnonzero(present)
    order = members[np.lexsort((pop.birth[members], rank[members], of_person[members]))]
    return Households(of_person, len(keys), couple, divorced_side, order.astype(np.int32))


def relation_to_head(pop: Population, person: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Index into ``RELATIONS`` of each person's relation to the head of their household."""
    female = pop.sex[person] == FEMALE
    rel = np.full(len(person), RELATIONS.index("other"), dtype=np.int8)
    siblings = (pop.father_pid[person] >= 0) & (pop.father_pid[person] == pop.father_pid[head])
    rel[siblings] = np.where(female[siblings], RELATIONS.index("sister"), RELATIONS.index("brother"))
    child = (pop.father_pid[person] == head) | (pop.mother_pid[person] == head)
    rel[child] = np.where(female[child], RELATIONS.index("daughter"), RELATIONS.index("son"))
    parent = (pop.father_pid[head] == person) | (pop.mother_pid[head] == person)
    rel[parent] = np.where(female[parent], RELATIONS.index("mother"), RELATIONS.index("father"))
    spouse = (pop.couple[person] >= 0) & (pop.couple[person] == pop.couple[head]) & (person != head)
    rel[spouse] = np.where(female[spouse], RELATIONS.index("wife"), RELATIONS.index("husband"))
    rel[person == head] = RELATIONS.index("head")
    return rel
