"""How the access log names a person of the enrollment app (registered in EnrollmentConfig.ready):
the resident's own id (every page that shows residents logs it), and the ISA records and pension
list rows linked to them (the review and record pages log those)."""

from __future__ import annotations

from enrollment.models import MatchDecision, Resident


def person_ids(municipality_id: int, resident_code: str) -> dict[str, list[int]]:
    residents = list(
        Resident.objects.for_municipality(municipality_id)
        .filter(resident_code=resident_code)
        .values_list("pk", flat=True)
    )
    if not residents:
        return {}
    records = list(
        MatchDecision.objects.for_municipality(municipality_id)
        .filter(linked_resident_id__in=residents)
        .values_list("isa_record_id", flat=True)
    )
    return {"resident": residents, "isa_record": records}
