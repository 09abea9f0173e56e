"""Private file storage: uploaded files and rendered PDFs hold personal data and are never
served as static media; views stream them after the access checks."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Always follows settings.PRIVATE_STORAGE_DIR (tests point it at a temporary folder)."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_STORAGE_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None
