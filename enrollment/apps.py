from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    """Register, NHI ledger, ISA intake, matching, review, cases and letters (加入勧奨)."""

    name = "enrollment"
    verbose_name = "加入促進"

    def ready(self) -> None:
        from enrollment.intake.isa import IsaImporter
        from enrollment.intake.ledger import LedgerImporter
        from enrollment.intake.register import ResidentImporter
        from nhi_portal.intake.registry import register

        register(IsaImporter())
        register(ResidentImporter())
        register(LedgerImporter())

        from enrollment.linking.nightly import match_step
        from nhi_portal.nightly import Step, register_step

        register_step(Step("match", "突合", 20, match_step))
