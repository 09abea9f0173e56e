from django.apps import AppConfig


class ArrearsConfig(AppConfig):
    """Arrears as of a date, arrears flags, the June 2027 linkage export, collection rates."""

    name = "arrears"
    verbose_name = "滞納"
