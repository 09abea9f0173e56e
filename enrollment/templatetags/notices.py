"""The person page's card for notices to the immigration bureau: `{% notice_card person %}`. Shown
to those who write or read notices; a list of the person's notices is a read of notice data and
is access-logged with its own purpose."""

from __future__ import annotations

from django import template

from enrollment import presenters
from enrollment.notices import selectors, services
from nhi_portal.access import has_portal_permission
from nhi_portal.audit import Purpose, log_read

register = template.Library()


@register.inclusion_tag("enrollment/notices/_person_card.html", takes_context=True)
def notice_card(context, person):
    request = context["request"]
    user = request.user
    can_draft = has_portal_permission(user, "draft_immigration_notices")
    if not (can_draft or has_portal_permission(user, "view_immigration_notices")):
        return {"hidden": True}
    notices = selectors.person_notices(user=user, resident=person)
    for notice in notices:
        notice.state_tone = presenters.notice_tone(notice.state)
    if notices:
        log_read(
            request,
            action="person_notices",
            purpose=Purpose.IMMIGRATION_NOTICE,
            object_type="resident",
            ids=[person.pk],
        )
    return {
        "person": person,
        "notices": notices,
        "can_draft": can_draft,
        "refusal": services.draft_refusal(resident=person) if can_draft else None,
    }
