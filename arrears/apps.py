from django.apps import AppConfig


class ArrearsConfig(AppConfig):
    """Arrears as of a date, arrears flags, the June 2027 linkage export, collection rates."""

    name = "arrears"
    verbose_name = "滞納"

    def ready(self) -> None:
        from arrears.nightly import arrears_step
        from nhi_portal.nightly import Step, register_step

        register_step(Step("arrears", "滞納の集計", 40, arrears_step))

        from arrears import dashboard

        dashboard.register()

        from arrears.intake import AgreementImporter
        from nhi_portal.intake.registry import register

        register(AgreementImporter())
