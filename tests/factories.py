"""factory_boy factories for synthetic test data (no real person's data anywhere)."""

from __future__ import annotations

from datetime import date

import factory
from django.contrib.auth.models import Group

from enrollment.models import IsaRecord, NhiMembership, Resident, ResidentStatus
from nhi_portal.models import BatchSource, BatchStatus, ImportBatch, Municipality, User


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("lg_code",)

    lg_code = "132101"
    name = "小金井市"
    department = "保険年金課"
    postal_code = "1848504"
    address = "東京都小金井市本町六丁目6番3号"
    phone = "042-387-9999"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    municipality = factory.SubFactory(MunicipalityFactory)
    password = factory.django.Password("test-password-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            from tests.conftest import ensure_roles  # (tests.conftest imports this module)

            # A transactional test run earlier in this process empties the groups the roles
            # migration made; in a parallel run (make test) that depends on the order of the tests.
            ensure_roles()
            self.groups.add(Group.objects.get(name=extracted))


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    municipality = factory.SubFactory(MunicipalityFactory)
    resident_code = factory.Sequence(lambda n: f"{10000000000 + n:011d}")
    name_alpha = "NGUYEN VAN AN"
    name_kana = "グエン ヴァン アン"
    sex = "M"
    birth_date = date(1998, 4, 12)
    nationality = "VN"
    residence_status = "特定技能1号"
    lg_code = "132101"
    address = "東京都小金井市本町1丁目2番3号 コーポ本町101"
    postal_code = "1840004"
    status = ResidentStatus.RESIDENT


class ImportBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportBatch

    municipality = factory.SubFactory(MunicipalityFactory)
    kind = "isa"
    annex = 1
    source = BatchSource.COMMAND
    source_name = factory.Sequence(lambda n: f"isa_{n}.csv")
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    status = BatchStatus.IMPORTED
    data_month = date(2026, 10, 1)


class IsaRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IsaRecord

    batch = factory.SubFactory(ImportBatchFactory)
    municipality = factory.SelfAttribute("batch.municipality")
    row_number = factory.Sequence(lambda n: n + 1)
    line_number = factory.LazyAttribute(lambda o: o.row_number + 1)
    annex = 1
    name = "NGUYEN VAN AN"
    raw_name = factory.SelfAttribute("name")
    lg_code = "132101"
    address = "東京都小金井市本町1丁目2番3号"
    sex = "M"
    birth_date = date(1998, 4, 12)
    event_date = date(2026, 10, 1)


class NhiMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NhiMembership

    municipality = factory.SubFactory(MunicipalityFactory)
    insured_number = factory.Sequence(lambda n: f"{20000000 + n}")
    resident_code = "10000000000"
    household_head_code = "10000000000"
    acquired_date = date(2025, 4, 1)
