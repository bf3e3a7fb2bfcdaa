#!/usr/bin/env python
import os
import sys

# Commands that only compare models with migrations: they sign, encrypt and serve nothing,
# so they run without the production secrets (postbank/settings.py, SCHEMA_ONLY).
SCHEMA_ONLY_COMMANDS = {"makemigrations"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postbank.settings")
    if sys.argv[1:2] and sys.argv[1] in SCHEMA_ONLY_COMMANDS:
        os.environ["POSTBANK_SCHEMA_ONLY"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
