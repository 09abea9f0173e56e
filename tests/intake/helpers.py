from __future__ import annotations

from nhi_portal.intake import services
from nhi_portal.models import BatchSource, ImportBatch


def run_import(municipality, data: bytes, *, kind="isa", filename="file.csv", **options) -> ImportBatch:
    received = services.batch_receive(
        municipality=municipality,
        kind=kind,
        filename=filename,
        content=data,
        source=BatchSource.COMMAND,
        enqueue=False,
        **options,
    )
    if received.duplicate:
        return received.batch
    return services.batch_import(batch_id=received.batch.pk)


def issue_texts(batch: ImportBatch) -> list[str]:
    return [f"{i.line}:{i.column}:{i.reason}" for i in batch.issues.order_by("line", "id")]
