"""Finding a person in the access log by their resident code (住民票コード): the apps that log reads
of people register how to turn a code into the ids their entries name (the shared base does not
import them). The access log holds ids only; this is how an auditor answers "who read this person,
when and why" without the log ever holding a name or a code."""

from __future__ import annotations

from collections.abc import Callable

# lookup(municipality_id, resident_code) -> {object kind ("resident", "isa_record"): [ids]}; an
# empty dict when the municipality has no such person.
PersonLookup = Callable[[int, str], dict[str, list[int]]]

_LOOKUPS: list[PersonLookup] = []


def register_person_lookup(fn: PersonLookup) -> None:
    if fn not in _LOOKUPS:
        _LOOKUPS.append(fn)


def person_refs(*, municipality_id: int, resident_code: str) -> dict[str, list[int]]:
    """Every id, by kind, under which the access log may name the person with this code."""
    refs: dict[str, list[int]] = {}
    for lookup in _LOOKUPS:
        for kind, ids in lookup(municipality_id, resident_code).items():
            refs.setdefault(kind, []).extend(ids)
    return {kind: sorted(set(ids)) for kind, ids in refs.items() if ids}
