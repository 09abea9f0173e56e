"""Importers for premium assessments (賦課) and payments (収納), registered for the kinds
"assessments" and "payments" (nhi_portal.intake: receive → decode → validate → save, whole or
nothing).

Money is stricter than the register: one row with an error rejects the whole file, listing every
line that is wrong (a skipped payment would put a household into arrears by mistake, and arrears
are reported to the Immigration Services Agency). Cleaned values (full-width digits, invisible
characters) are warnings: the file is imported and held as "needs attention".

Assessments: a later row for the same household, fiscal year and instalment is a correction; the
newest becomes current, the rows it replaces stay as its history, and a row identical to the
current one changes nothing. Payments are added; with a `receipt_number` a row already imported under the
same number (same content) is skipped, so a re-sent extract does not pay twice.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pyarrow as pa
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from nhi_portal.domain.wareki import ERAS
from nhi_portal.intake.bulk import insert_rows
from nhi_portal.intake.columns import Check, validate_slice
from nhi_portal.intake.errors import ERROR, FileRejected, RowProblem
from nhi_portal.intake.table import Column, CsvSource
from nhi_portal.intake.values import choice_cell, clean_text, date_cell, digits_cell
from receipts.models import Assessment, Payment, PaymentChannel

MAX_AMOUNT = 10_000_000  # no instalment or payment comes near this (賦課限度額 ~1.1 million a year)
MAX_LISTED_ERRORS = 50
FIRST_FISCAL_YEAR = 2000
ELEVEN_DIGITS = r"^[0-9]{11}$"

CHANNELS = {
    "bank": PaymentChannel.BANK, "金融機関": PaymentChannel.BANK, "銀行": PaymentChannel.BANK,
    "konbini": PaymentChannel.KONBINI, "コンビニ": PaymentChannel.KONBINI,
    "counter": PaymentChannel.COUNTER, "窓口": PaymentChannel.COUNTER,
    "transfer": PaymentChannel.TRANSFER, "口座振替": PaymentChannel.TRANSFER,
    "prepayment": PaymentChannel.PREPAYMENT, "前納": PaymentChannel.PREPAYMENT,
    "refund": PaymentChannel.REFUND, "還付": PaymentChannel.REFUND,
}  # fmt: skip
CHANNEL_MESSAGE = (
    "納付方法は bank、konbini、counter、transfer、prepayment、refund"
    "（金融機関、コンビニ、窓口、口座振替、前納、還付）のいずれかで指定してください"
)

KEY_COLUMNS = (
    Column("household_head_code", ("household_head_code", "世帯主住民票コード")),
    Column("fiscal_year", ("fiscal_year", "年度")),
    Column("instalment", ("instalment", "期別", "installment")),
)
ASSESSMENT_COLUMNS = (
    *KEY_COLUMNS,
    Column("amount", ("amount", "賦課額", "調定額")),
    Column("due_date", ("due_date", "納期限")),
)
PAYMENT_COLUMNS = (
    *KEY_COLUMNS,
    Column("amount", ("amount", "収納額", "金額")),
    Column("paid_date", ("paid_date", "納付日", "収納日")),
    Column("channel", ("channel", "納付方法", "収納区分")),
    Column("receipt_number", ("receipt_number", "収納番号"), required=False),
)

Problems = tuple[tuple[str, str], ...]


# --- cells ---------------------------------------------------------------------------------------

_FISCAL_WESTERN = re.compile(r"^(\d{4})(?:年度?)?$")
_FISCAL_ERA = re.compile(r"^(明治|大正|昭和|平成|令和|[MTSHR])(元|\d{1,2})(?:年度?)?$")
_ERA = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}


def parse_fiscal_year(value: str) -> tuple[int | None, str | None]:
    """2025, 2025年度, 令和7年度, 令和7, R7 → 2025."""
    text = unicodedata.normalize("NFKC", value).strip().upper().replace(" ", "")
    if not text:
        return None, "年度が空です"
    if match := _FISCAL_WESTERN.match(text):
        year = int(match[1])
    elif match := _FISCAL_ERA.match(text):
        era = _ERA[match[1]]
        number = 1 if match[2] == "元" else int(match[2])
        year = era.first_year + number - 1
        # 平成31年度 and 令和元年度 are both FY2019; 令和0年度 or 昭和80年度 do not exist.
        if number < 1 or (era.end is not None and year > era.end.year):
            return None, f"{era.name}{match[2]}年度という年度はありません"
    else:
        return None, "年度として読めません（例: 2025、令和7年度、R7）"
    latest = timezone.localdate().year + 1
    if not FIRST_FISCAL_YEAR <= year <= latest:
        return None, f"年度 {year} は扱える範囲（{FIRST_FISCAL_YEAR}〜{latest}年度）の外です"
    return year, None


def fiscal_year_cell(raw: str) -> tuple[int | None, Problems]:
    cleaned = clean_text(raw)
    if any(severity == ERROR for _, severity in cleaned.problems):
        return None, tuple(cleaned.problems)
    year, reason = parse_fiscal_year(cleaned.value)
    return year, (*cleaned.problems, (reason, ERROR)) if reason else tuple(cleaned.problems)


_INSTALMENT = re.compile(r"^第?0*(\d{1,2})期?$")


def instalment_cell(raw: str) -> tuple[int | None, Problems]:
    cleaned = clean_text(raw)
    if any(severity == ERROR for _, severity in cleaned.problems):
        return None, tuple(cleaned.problems)
    match = _INSTALMENT.match(cleaned.value.replace(" ", ""))
    number = int(match[1]) if match else 0
    if not 1 <= number <= 24:
        reason = "期別が空です" if not cleaned.value else "期別は1〜24の数で指定してください（例: 3、第3期）"
        return None, (*cleaned.problems, (reason, ERROR))
    return number, tuple(cleaned.problems)


_AMOUNT = re.compile(r"^(-|△|▲)?(\d{1,3}(?:,\d{3})+|\d+)$")


def parse_amount(value: str) -> tuple[int | None, str | None]:
    """Whole yen: 12345, 12,345, 12345円, ¥12,345; negative as -3000, △3,000 or ▲3,000."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    text = text.removesuffix("円").removeprefix("¥").removeprefix("\\")
    text = text.replace("−", "-").replace("ー", "-")
    if not text:
        return None, "金額が空です"
    match = _AMOUNT.match(text)
    if not match:
        return None, "金額は円単位の整数で指定してください（例: 12345、12,345、還付は -3000）"
    amount = int(match[2].replace(",", ""))
    if amount > MAX_AMOUNT:
        return None, f"金額が大きすぎます（{MAX_AMOUNT:,}円を超えています）"
    return (-amount if match[1] else amount), None


def amount_cell(raw: str) -> tuple[int | None, Problems]:
    cleaned = clean_text(raw)
    if any(severity == ERROR for _, severity in cleaned.problems):
        return None, tuple(cleaned.problems)
    amount, reason = parse_amount(cleaned.value)
    return amount, (*cleaned.problems, (reason, ERROR)) if reason else tuple(cleaned.problems)


_RECEIPT_NUMBER = re.compile(r"^[0-9A-Za-z\-]{1,30}$")


def receipt_number_cell(raw: str) -> tuple[str, Problems]:
    cleaned = clean_text(raw)
    if not cleaned.value:
        return "", tuple(cleaned.problems)
    if not _RECEIPT_NUMBER.match(cleaned.value):
        return "", (*cleaned.problems, ("収納番号は英数字とハイフン30文字以内で指定してください", ERROR))
    return cleaned.value, tuple(cleaned.problems)


def due_date_problem(due: date, fiscal_year: int) -> str | None:
    """Due dates of fiscal year N lie between 1 April N and 31 May N+1 (出納整理期間)."""
    first, last = date(fiscal_year, 4, 1), date(fiscal_year + 1, 5, 31)
    if not first <= due <= last:
        return f"納期限 {due:%Y-%m-%d} が{fiscal_year}年度の範囲（{first:%Y-%m-%d}〜{last:%Y-%m-%d}）の外です"
    return None


# --- the importers ---------------------------------------------------------------------------------


class _MoneyImporter:
    """Shared by both kinds: validate a slice, collect the rows, reject the file on any error."""

    columns: tuple[Column, ...] = ()

    def open(self, stream, *, batch) -> CsvSource:
        return CsvSource(stream, self.columns, what=self.what)

    def _checks(self) -> dict[str, Check]:
        return {
            "household_head_code": Check(
                digits_cell(length=11, label="世帯主の住民票コード"), fast=ELEVEN_DIGITS
            ),
            "fiscal_year": Check(fiscal_year_cell, pa.int32(), cached=True),
            "instalment": Check(instalment_cell, pa.int32(), cached=True),
            "amount": Check(amount_cell, pa.int64(), cached=True),
        }

    def save(self, source: CsvSource, *, batch, state: dict, progress) -> list[RowProblem]:
        checks = self._checks()
        caches: dict = {}
        problems: list[RowProblem] = []
        errors: list[RowProblem] = []
        state.update(rows=0, inserted=0)
        self.prepare(batch=batch, state=state)
        for part in source.slices():
            checked = validate_slice(part, checks, label_of=source.label_of, caches=caches)
            found = checked.found
            columns = {name: checked.clean[name].to_pylist() for name in checks}
            bad = set(found.bad_fields)
            rows = []
            for row in range(len(part)):
                if row in bad:
                    continue
                values = {name: columns[name][row] for name in checks}
                reason = self.row_problem(values)
                if reason:
                    field_name, text = reason
                    found.add_rows(
                        [row], checked.raw[field_name], field_name=field_name,
                        label=source.label_of(field_name), reason=text,
                    )  # fmt: skip
                    continue
                rows.append((int(part.lines[row]), values))
            rows = self.check_slice(rows, found=found, raw=checked.raw, source=source, state=state)
            problems.extend(p for p in found.problems if p.severity != ERROR)
            errors.extend(p for p in found.problems if p.severity == ERROR)
            if not errors and rows:  # after the first error nothing more is written: it all rolls back
                state["inserted"] += self.insert(rows, batch=batch)
            state["rows"] += len(part)
            progress(source.rows_read)
        if errors:
            raise FileRejected(rejection_text(errors))
        return problems

    def prepare(self, *, batch, state: dict) -> None:
        pass

    def row_problem(self, values: dict) -> tuple[str, str] | None:
        return None

    def check_slice(self, rows, *, found, raw, source, state) -> list:
        return rows


# The strict importer (any wrong row rejects the file) for other money files (arrears' agreements).
StrictImporter = _MoneyImporter


def rejection_text(errors: list[RowProblem]) -> str:
    lines = sorted({p.line for p in errors})
    shown = sorted(errors, key=lambda p: (p.line, p.column))[:MAX_LISTED_ERRORS]
    text = [
        f"{len(lines):,}行に誤りがあるため、ファイル全体を取り込みませんでした。正しいファイルを受け取り直してください。"
    ]
    text += [p.as_text() for p in shown]
    if len(errors) > len(shown):
        text.append(f"…ほか {len(errors) - len(shown):,}件")
    return "\n".join(text)


class AssessmentImporter(_MoneyImporter):
    kind = "assessments"
    what = "保険料の賦課"
    columns = ASSESSMENT_COLUMNS

    def _checks(self) -> dict[str, Check]:
        return {
            **super()._checks(),
            "due_date": Check(date_cell(not_before=date(FIRST_FISCAL_YEAR, 4, 1)), pa.date32(), cached=True),
        }

    def row_problem(self, values: dict) -> tuple[str, str] | None:
        if values["amount"] < 0:
            return "amount", "賦課額に負の値は使えません（減額は訂正後の賦課額で送ってください）"
        if reason := due_date_problem(values["due_date"], values["fiscal_year"]):
            return "due_date", reason
        return None

    def prepare(self, *, batch, state: dict) -> None:
        state["last_line"] = {}  # (household, year, instalment) → the line it was last seen on
        state["superseded"] = []

    def check_slice(self, rows, *, found, raw, source, state) -> list:
        last_line, superseded = state["last_line"], state["superseded"]
        for line, v in rows:
            key = (v["household_head_code"], v["fiscal_year"], v["instalment"])
            if key in last_line:
                superseded.append(last_line[key])  # a later row of the file corrects it
            last_line[key] = line
        return rows

    def insert(self, rows, *, batch) -> int:
        now = timezone.now()
        return insert_rows(
            Assessment,
            ["municipality_id", "household_head_code", "fiscal_year", "instalment", "amount", "due_date",
             "is_current", "batch_id", "line", "recorded_at", "note"],
            (
                (batch.municipality_id, v["household_head_code"], v["fiscal_year"], v["instalment"],
                 v["amount"], v["due_date"], False, batch.pk, line, now, "")
                for line, v in rows
            ),
        )  # fmt: skip

    def finish(self, *, batch, state: dict) -> dict:
        counts = assessments_make_current(
            batch_id=batch.pk, municipality_id=batch.municipality_id, superseded=state["superseded"]
        )
        return {"rows": state.get("rows", 0), **counts}


def _same_key(**extra) -> dict:
    return {
        "municipality_id": OuterRef("municipality_id"),
        "household_head_code": OuterRef("household_head_code"),
        "fiscal_year": OuterRef("fiscal_year"),
        "instalment": OuterRef("instalment"),
        **extra,
    }


def assessments_make_current(
    *, batch_id: int | None, municipality_id: int, ids: list[int] | None = None, superseded: list[int] = ()
) -> dict:
    """Make the rows of a batch (or the rows `ids` of a single correction) current, set based.
    `superseded`: lines of the file that a later line of the same file corrected (dropped: the
    stored file keeps them). A file row identical to the current one is dropped as unchanged;
    otherwise the earlier current row becomes history. Every step is driven by the new rows and
    an index lookup each, so it does not depend on table statistics (rows written in this very
    transaction have none)."""
    scope = Assessment.objects.filter(municipality_id=municipality_id)
    mine = scope.filter(pk__in=ids) if ids is not None else scope.filter(batch_id=batch_id)
    for start in range(0, len(superseded), 5000):
        mine.filter(line__in=superseded[start : start + 5000]).delete()
    current_any = Assessment.objects.filter(**_same_key(is_current=True))
    current_same = current_any.filter(amount=OuterRef("amount"), due_date=OuterRef("due_date"))
    total = mine.count()
    new = mine.filter(~Exists(current_any)).count()
    unchanged_rows = mine.filter(Exists(current_same))
    unchanged = unchanged_rows.count()
    if unchanged and ids is None:  # a file that repeats the current value adds no history
        unchanged_rows.delete()
    displaced = (
        mine.annotate(current_id=Subquery(current_any.values("pk")[:1]))
        .filter(current_id__isnull=False)
        .values("current_id")
    )
    Assessment.objects.filter(pk__in=Subquery(displaced)).update(is_current=False)
    mine.update(is_current=True)
    return {
        "created": new,
        "corrected": total - new - unchanged,
        "unchanged": unchanged,
        "superseded_in_file": len(superseded),
    }


class PaymentImporter(_MoneyImporter):
    kind = "payments"
    what = "保険料の収納"
    columns = PAYMENT_COLUMNS

    def _checks(self) -> dict[str, Check]:
        today = timezone.localdate()
        return {
            **super()._checks(),
            "paid_date": Check(
                date_cell(not_after=today, not_before=date(FIRST_FISCAL_YEAR - 1, 4, 1)),
                pa.date32(),
                cached=True,
            ),
            "channel": Check(choice_cell(CHANNELS, CHANNEL_MESSAGE), cached=True),
            "receipt_number": Check(receipt_number_cell),
        }

    def prepare(self, *, batch, state: dict) -> None:
        state["numbers"] = {}  # receipt number → line, within this file
        state["already_recorded"] = 0
        state["municipality_id"] = batch.municipality_id

    def row_problem(self, values: dict) -> tuple[str, str] | None:
        amount, channel = values["amount"], values["channel"]
        if amount == 0:
            return "amount", "金額が0円です"
        if channel == PaymentChannel.REFUND and amount > 0:
            return "amount", "還付（refund）は負の金額で指定してください（例: -3000）"
        if channel != PaymentChannel.REFUND and amount < 0:
            return "amount", "負の金額は還付（refund）の行だけに使えます"
        if values["paid_date"] < date(values["fiscal_year"] - 1, 4, 1):
            return (
                "paid_date",
                f"納付日 {values['paid_date']:%Y-%m-%d} が{values['fiscal_year']}年度の保険料には早すぎます",
            )
        return None

    def check_slice(self, rows, *, found, raw, source, state) -> list:
        """Receipt numbers: unique within the file; one already imported with the same content is
        skipped (a re-sent extract), with other content it is an error."""
        numbered = [(line, v) for line, v in rows if v["receipt_number"]]
        if not numbered:
            return rows
        seen: dict = state["numbers"]
        known = {
            p[0]: p[1:]
            for p in Payment.objects.filter(
                municipality_id=state["municipality_id"],
                receipt_number__in=[v["receipt_number"] for _, v in numbered],
            ).values_list(
                "receipt_number",
                "household_head_code",
                "fiscal_year",
                "instalment",
                "amount",
                "paid_date",
                "channel",
            )
        }
        keep = []
        label = source.label_of("receipt_number")
        for line, v in rows:
            number = v["receipt_number"]
            if not number:
                keep.append((line, v))
                continue
            if number in seen:
                found.problems.append(
                    RowProblem(
                        line,
                        label,
                        number,
                        f"収納番号が重複しています（{seen[number]}行目と同じ）",
                        ERROR,
                        "receipt_number",
                    )
                )
                continue
            seen[number] = line
            if number in known:
                content = (
                    v["household_head_code"],
                    v["fiscal_year"],
                    v["instalment"],
                    v["amount"],
                    v["paid_date"],
                    v["channel"],
                )
                if tuple(known[number]) == content:
                    state["already_recorded"] += 1
                    continue
                found.problems.append(
                    RowProblem(
                        line, label, number, "この収納番号は別の内容で取込済みです", ERROR, "receipt_number"
                    )
                )
                continue
            keep.append((line, v))
        return keep

    def insert(self, rows, *, batch) -> int:
        now = timezone.now()
        return insert_rows(
            Payment,
            ["municipality_id", "household_head_code", "fiscal_year", "instalment", "amount", "paid_date",
             "channel", "receipt_number", "batch_id", "line", "recorded_at", "note"],
            (
                (batch.municipality_id, v["household_head_code"], v["fiscal_year"], v["instalment"],
                 v["amount"], v["paid_date"], v["channel"], v["receipt_number"], batch.pk, line, now, "")
                for line, v in rows
            ),
        )  # fmt: skip

    def finish(self, *, batch, state: dict) -> dict:
        return {
            "rows": state.get("rows", 0),
            "created": state.get("inserted", 0),
            "already_recorded": state.get("already_recorded", 0),
        }
