"""Writes of the shared base: municipalities and staff accounts."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from nhi_portal.domain.codes import lg_code_problem
from nhi_portal.models import Municipality, User


class UnknownMunicipality(LookupError):
    pass


def municipality_for_code(code: str, *, create: bool = False, name: str = "") -> Municipality:
    """The tenant a municipality or ward code belongs to (a ward → its city)."""
    problem = lg_code_problem(code)
    if problem:
        raise UnknownMunicipality(f"{code}: {problem}")
    found = Municipality.objects.filter(lg_code=code).select_related("parent").first()
    if found is not None:
        return found.tenant
    if not create:
        raise UnknownMunicipality(
            f"自治体コード {code} は登録されていません。管理画面で自治体を登録してください。"
        )
    return Municipality.objects.create(lg_code=code, name=name or f"自治体{code}")


@transaction.atomic
def staff_create(
    *, username: str, password: str, municipality: Municipality, role: str, full_name: str = ""
) -> User:
    """Create (or reset) a staff account with exactly one role."""
    user, _ = User.objects.get_or_create(username=username, defaults={"municipality": municipality})
    user.municipality = municipality
    user.first_name = full_name
    user.is_staff = role == "administrator"
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    return user
