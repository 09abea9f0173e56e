from __future__ import annotations

from datetime import date

from enrollment.linking import runs
from tests.factories import ImportBatchFactory, IsaRecordFactory, ResidentFactory


def resident(municipality, **values):
    return ResidentFactory(municipality=municipality, **values)


def isa_batch(municipality, records: list[dict], *, month=date(2026, 10, 1), annex=1):
    batch = ImportBatchFactory(
        municipality=municipality, data_month=month, annex=annex, rows_total=len(records)
    )
    for number, values in enumerate(records, start=1):
        IsaRecordFactory(batch=batch, municipality=municipality, row_number=number, annex=annex, **values)
    return batch


def match(batch):
    run = runs.match_start(batch=batch, dispatch=False)
    return runs.run_inline(run)


def decision_of(batch, row_number: int = 1):
    return batch.isa_records.get(row_number=row_number).decision


def export_matches(batch, out, *, user) -> None:
    """`manage.py export_matches` on behalf of `user` into the file `out`."""
    import io

    from django.core.management import call_command

    call_command(
        "export_matches", str(batch.pk), "--out", str(out), "--user", user.username, stdout=io.StringIO()
    )
