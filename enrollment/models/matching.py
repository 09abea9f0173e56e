"""Matching: the register's matching index (features and blocking keys), match runs in chunks,
one decision per ISA record with its explanation, supervisors' review actions, and decisions
remembered for later months."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.matching.features import STORED_COLUMNS
from enrollment.models.people import IsaRecord, Resident
from nhi_portal.models import AppendOnlyError, ImportBatch, Job, JobStatus, Municipality, bulk_fk
from nhi_portal.scoping import ScopedQuerySet


class ResidentFeatures(models.Model):
    """Normalised matching features of a resident with a Latin name (照合用の正規化済み項目),
    as `enrollment.matching.Features.to_stored()` gives them. Recomputed when the resident
    changes (`source_updated_at` is the resident's `updated_at` when they were computed)."""

    resident = models.OneToOneField(
        Resident, primary_key=True, on_delete=models.CASCADE, db_constraint=False, related_name="features"
    )
    municipality = bulk_fk(Municipality)
    source_updated_at = models.DateTimeField()
    name = models.CharField(max_length=200)
    phonetic = models.CharField(max_length=200, blank=True)
    alias_phonetic = models.CharField(max_length=200, blank=True)
    kana = models.CharField(max_length=200, blank=True)
    alias = models.CharField(max_length=200, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    birth_date = models.CharField(max_length=10, blank=True)
    lg_code = models.CharField(max_length=6, blank=True)
    town = models.CharField(max_length=200, blank=True)
    block = models.CharField(max_length=100, blank=True)
    building = models.CharField(max_length=200, blank=True)
    room = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=12)

    objects = ScopedQuerySet.as_manager()

    STORED = list(STORED_COLUMNS)  # the columns Features.to_stored gives, in from_stored_values' order

    class Meta:
        verbose_name = _("照合用特徴量")
        verbose_name_plural = _("照合用特徴量")
        indexes = [
            models.Index(fields=["municipality", "source_updated_at"], name="features_municipality_idx")
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.name}"


class ResidentMatchKey(models.Model):
    """One blocking key of a resident (候補抽出キー): a resident is a candidate for an ISA record
    when they share a key (see enrollment.matching.blocking). The key is stored as its 64-bit hash
    (`blocking.key_hash`): at millions of residents an 8-byte integer makes the table and its index a
    fraction of the size of the text keys, and a rare collision only adds a candidate that scoring
    then rules out. The primary key is the lookup itself (municipality, key, resident), so a
    candidate lookup reads the index alone."""

    pk = models.CompositePrimaryKey("municipality_id", "key", "resident_id")
    municipality = bulk_fk(Municipality)
    key = models.BigIntegerField()
    resident = bulk_fk(Resident, on_delete=models.CASCADE, related_name="match_keys")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("候補抽出キー")
        verbose_name_plural = _("候補抽出キー")
        indexes = [models.Index(fields=["resident"], name="matchkey_resident_idx")]

    def __str__(self) -> str:
        return str(self.key)


class MatchRun(models.Model):
    """Matching of one ISA batch (突合処理): prepared in chunks that workers take in parallel;
    resumable (a chunk's decisions and its 'done' mark are one transaction)."""

    class Stage(models.TextChoices):
        INDEX = "index", _("住民の照合用データを更新中")
        MATCH = "match", _("突合中")
        DONE = "done", _("完了")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    batch = models.OneToOneField(ImportBatch, on_delete=models.CASCADE, related_name="match_run")
    status = models.CharField(_("状態"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    stage = models.CharField(_("段階"), max_length=8, choices=Stage.choices, default=Stage.INDEX)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    thresholds = models.JSONField(_("しきい値"), default=dict)
    # The matching model fitted on this run's month (学習した照合モデル): m/u per level, the prior,
    # how it was fitted (enrollment.matching.ScoringModel.to_dict); {} until the first chunk fits it.
    model = models.JSONField(_("照合モデル"), default=dict, blank=True)
    population = models.PositiveIntegerField(_("英字氏名のある住民数"), default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(_("結果の内訳"), default=dict)
    error = models.TextField(_("失敗の理由"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    progress_at = models.DateTimeField(null=True, blank=True)  # last dispatch or finished chunk
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("突合処理")
        verbose_name_plural = _("突合処理")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"突合 #{self.pk}（取込 #{self.batch_id}）"


class MatchChunk(models.Model):
    """A piece of a match run: residents to index (by id range) or ISA rows to match."""

    class Kind(models.TextChoices):
        INDEX = "index", _("照合用データ")
        MATCH = "match", _("突合")

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="chunks")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    number = models.PositiveIntegerField()
    lo = models.BigIntegerField()  # inclusive
    hi = models.BigIntegerField()  # inclusive
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "kind", "number"], name="match_chunk_unique")]
        ordering = [
            "run_id",
            "kind",
            "number",
        ]  # run_id: "run" would join the run row (and lock it with FOR UPDATE)

    def __str__(self) -> str:
        return f"{self.run_id}/{self.kind}/{self.number}"


class Outcome(models.TextChoices):
    AUTO_MATCH = "auto_match", _("自動照合")
    REVIEW = "review", _("要確認")
    NO_MATCH = "no_match", _("該当なし")


class LinkStatus(models.TextChoices):
    LINKED = "linked", _("住民と照合済み")
    PENDING_REVIEW = "pending_review", _("審査待ち")
    NOT_RESIDENT = "not_resident", _("住民でない")


class Resolution(models.TextChoices):
    NONE = "", _("—")
    CONFIRMED = "confirmed", _("候補を確認")
    CHOSEN = "chosen", _("別の住民を選択")
    NOT_RESIDENT = "not_resident", _("住民でないと判断")
    OVERTURNED = "overturned", _("自動照合を取消")


class MatchDecision(models.Model):
    """The matching decision for one ISA record (突合結果): the engine's outcome with its per-field
    explanation, and — after a supervisor's review — the person the record is linked to."""

    isa_record = models.OneToOneField(
        IsaRecord, on_delete=models.CASCADE, db_constraint=False, related_name="decision"
    )
    municipality = bulk_fk(Municipality)
    batch = bulk_fk(ImportBatch, on_delete=models.CASCADE, related_name="decisions")
    run = bulk_fk(MatchRun, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(_("判定"), max_length=12, choices=Outcome.choices)
    reason = models.CharField(_("理由"), max_length=40)
    score = models.FloatField(_("スコア"), null=True, blank=True)
    resident = bulk_fk(Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    former_resident = models.BooleanField(_("元住民"), default=False)
    remembered = models.BooleanField(_("過去の判断による照合"), default=False)
    explanation = models.JSONField(_("説明"), default=dict)
    status = models.CharField(_("状況"), max_length=16, choices=LinkStatus.choices)
    linked_resident = bulk_fk(Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution = models.CharField(
        _("審査結果"), max_length=16, choices=Resolution.choices, blank=True, default=""
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("メモ"), blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    # 重要度: the probability that acting on the most likely reading sends a letter wrongly or misses
    # one (Decision.stake, also in the explanation); a column so the queue is ordered by it in an index.
    stake = models.FloatField(_("重要度"), default=0.0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("突合結果")
        verbose_name_plural = _("突合結果")
        indexes = [
            models.Index(fields=["municipality", "status", "decided_at"], name="decision_queue_idx"),
            models.Index(
                fields=["municipality", "-stake", "decided_at", "id"],
                condition=models.Q(status="pending_review"),
                name="decision_stake_queue_idx",
            ),
            models.Index(fields=["batch", "outcome"], name="decision_batch_idx"),
            models.Index(fields=["linked_resident"], name="decision_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.isa_record_id}: {self.outcome}"


class MatchEvent(models.Model):
    """Who decided what about a record, and when (append-only): the engine's decision, each
    supervisor action, a remembered link."""

    class Action(models.TextChoices):
        DECIDED = "decided", _("自動判定")
        REMEMBERED = "remembered", _("過去の判断により照合")
        CONFIRMED = "confirmed", _("候補を確認")
        CHOSEN = "chosen", _("別の住民を選択")
        NOT_RESIDENT = "not_resident", _("住民でないと判断")
        OVERTURNED = "overturned", _("自動照合を取消")

    decision = models.ForeignKey(MatchDecision, on_delete=models.CASCADE, related_name="events")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    resident_before = models.BigIntegerField(null=True, blank=True)
    resident_after = models.BigIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["decision", "at", "id"]
        indexes = [
            models.Index(fields=["resident_before"], name="matchevent_before_idx"),
            models.Index(fields=["resident_after"], name="matchevent_after_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("match events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("match events cannot be deleted")


class RememberedLink(models.Model):
    """A supervisor's link, remembered (過去の判断): a later ISA record with the same normalised
    name, birth date and sex links to this resident without review — unless the register holds
    another person with that same identity, where review is always required."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    identity_key = models.CharField(max_length=250)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    decision = models.ForeignKey(MatchDecision, null=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "identity_key"], name="remembered_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.identity_key} → {self.resident_id}"
