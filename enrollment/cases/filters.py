"""Filters of the case list (django-filter): kind, state, deadline, source, and the person by
name or resident code."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.cases.selectors import AWAITING_REPLY, SOURCE_LABELS, week_end
from enrollment.models import OPEN_STATES, CaseKind, CaseState, ReminderCase

ACTIVE = "active"
STATE_CHOICES = [(ACTIVE, _("完了以外のすべて")), *CaseState.choices]
DEADLINE_CHOICES = [
    ("passed", _("期限切れ（回答待ち）")),
    ("today", _("今日が期限")),
    ("week", _("今週が期限（今日〜日曜）")),
]


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("氏名・住民票コード"),
        method="filter_person",
        help_text=_("英字・カナ・漢字の氏名の一部、または11桁の住民票コード"),
    )
    kind = django_filters.ChoiceFilter(label=_("種類"), choices=CaseKind.choices, empty_label=_("すべて"))
    state = django_filters.ChoiceFilter(
        label=_("状態"), choices=STATE_CHOICES, empty_label=_("すべて"), method="filter_state"
    )
    deadline = django_filters.ChoiceFilter(
        label=_("回答期限"), choices=DEADLINE_CHOICES, empty_label=_("指定なし"), method="filter_deadline"
    )
    source = django_filters.ChoiceFilter(
        label=_("きっかけ"), choices=list(SOURCE_LABELS.items()), empty_label=_("すべて")
    )

    class Meta:
        model = ReminderCase
        fields = ["kind", "source"]

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.form.fields["q"].widget.attrs.update(
            {"type": "search", "data-shortcut": "/", "autocomplete": "off"}
        )

    def filter_person(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        if text.isdigit():
            return queryset.filter(resident__resident_code__startswith=text)
        condition = Q()
        for token in text.upper().replace(",", " ").split():
            condition &= (
                Q(resident__name_alpha__icontains=token)
                | Q(resident__name_kana__icontains=token)
                | Q(resident__name_kanji__icontains=token)
            )
        return queryset.filter(condition)

    def filter_state(self, queryset, name, value):
        if value == ACTIVE:
            return queryset.filter(state__in=OPEN_STATES)
        return queryset.filter(state=value)

    def filter_deadline(self, queryset, name, value):
        waiting = queryset.filter(state__in=AWAITING_REPLY)
        if value == "passed":
            return waiting.filter(deadline__lt=self.today)
        if value == "today":
            return waiting.filter(deadline=self.today)
        if value == "week":
            return waiting.filter(deadline__gte=self.today, deadline__lte=week_end(self.today))
        return queryset
