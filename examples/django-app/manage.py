#!/usr/bin/env python3
"""Django's command-line utility for the example: `python3 manage.py runserver` (dev only)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")
    from exampleproject import client_path  # noqa: F401  (puts clients/python on sys.path)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
