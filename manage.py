#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nhi_portal.settings.base")
    from django.core.management import execute_from_command_line

    from nhi_portal.scoping import unscoped

    # Commands work for the municipality they are given (or all of them): the wall's escape
    # hatch, named after the command. Pages served by runserver get their own request scope.
    with unscoped("manage.py " + " ".join(sys.argv[1:2])):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
