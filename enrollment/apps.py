from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    """Register, NHI ledger, ISA intake, matching, review, cases and letters (加入勧奨)."""

    name = "enrollment"
    verbose_name = "加入促進"

    def ready(self) -> None:
        from enrollment.intake.isa import IsaImporter, PensionCat2Importer, PensionCat13Importer
        from enrollment.intake.ledger import LedgerImporter
        from enrollment.intake.register import ResidentImporter
        from nhi_portal.intake.registry import register

        register(IsaImporter())
        register(ResidentImporter())
        register(LedgerImporter())
        register(PensionCat2Importer())
        register(PensionCat13Importer())

        from enrollment.linking.nightly import match_step
        from nhi_portal.nightly import Step, register_step

        register_step(Step("match", "突合", 20, match_step))

        from enrollment.linking.runs import redispatch_stalled
        from nhi_portal.registry_hooks import register_watchdog

        register_watchdog("match", redispatch_stalled)

        from enrollment.cases.printing import print_batch_watchdog

        register_watchdog("print", print_batch_watchdog)

        from enrollment.cases.nightly import cases_step

        register_step(Step("cases", "ケース作成・通知書の準備", 30, cases_step))

        from enrollment.reports import dashboard

        dashboard.register()

        # Notices to the immigration bureau: their settings in the admin site, their retention purge.
        from enrollment.notices import admin as _notices_admin  # noqa: F401
        from enrollment.notices.retention import plan_expired_notices, purge_expired_notices
        from nhi_portal.retention import register_purge

        register_purge("immigration_notices", purge_expired_notices, plan=plan_expired_notices)

        from enrollment.audit_lookup import person_ids
        from nhi_portal.auditing.people import register_person_lookup

        register_person_lookup(person_ids)
