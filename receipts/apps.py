from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    """Premium assessments (賦課), payments (収納), prepayment (前納) and payment statements."""

    name = "receipts"
    verbose_name = "賦課・収納"

    def ready(self) -> None:
        from nhi_portal.intake.registry import register
        from receipts.intake import AssessmentImporter, PaymentImporter

        register(AssessmentImporter())
        register(PaymentImporter())
