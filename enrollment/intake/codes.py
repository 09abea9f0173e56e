"""Whose file is it? A file whose every row carries another municipality's code (全国地方公共団体
コード) is refused whole: it was sent to, or picked by, the wrong office, and storing it as rows
"to check" would put another municipality's residents into this one's data."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

from nhi_portal.domain.codes import lg_code_problem
from nhi_portal.intake.errors import FileRejected


class MunicipalityCodeTally:
    """Counts, slice by slice, the rows with one of this municipality's codes (its own or a
    ward's) and the rows with a well-formed code of another municipality. Rows whose code cannot
    be read count for neither: they are row problems of their own."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed
        self.own = 0
        self.others: Counter[str] = Counter()

    def add(self, raw: pa.Array, clean: pa.Array) -> None:
        """`raw`: the column as sent; `clean`: the validated codes ('' where not this municipality's
        or not readable)."""
        self.own += int(pc.sum(pc.not_equal(clean, "")).as_py() or 0)
        rejected = pc.utf8_trim_whitespace(raw.filter(pc.equal(clean, "")))
        for item in pc.value_counts(rejected).to_pylist():
            code = item["values"]
            if code and lg_code_problem(code) is None and code not in self.allowed:
                self.others[code] += item["counts"]

    def refuse_if_foreign(self, *, municipality, column: str) -> None:
        """Raise FileRejected when no row is this municipality's and some carry another's code."""
        if self.own or not self.others:
            return
        from nhi_portal.models import Municipality

        names = dict(
            Municipality.objects.filter(lg_code__in=list(self.others)).values_list("lg_code", "name")
        )
        municipality_name = municipality.name
        total = sum(self.others.values())
        common = [code for code, _ in self.others.most_common(3)]
        shown = "、".join(f"{code}（{names[code]}）" if code in names else code for code in common)
        more = " など" if len(self.others) > len(common) else ""
        raise FileRejected(
            f"{total:,}行すべての住所のコードが{municipality_name}以外の自治体のもの（{shown}{more}）です。"
            f"別の自治体のファイルのようです。{municipality_name}宛てのファイルかどうかを確かめてから、"
            "正しいファイルを取り込んでください。このファイルは1行も取り込んでいません。",
            column=column,
        )
