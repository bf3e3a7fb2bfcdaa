"""`python -m bench [name ...]`: runs main() of every bench/<app>_<what>.py module (or the
named ones) in turn."""

import importlib
import os
import pkgutil
import sys

import django


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postbank.settings")
    django.setup()
    import bench

    names = sorted(info.name for info in pkgutil.iter_modules(bench.__path__)
                   if "_" in info.name and not info.name.startswith("_"))
    chosen = [n for n in names if not argv or n in argv]
    failed = 0
    for name in chosen:
        print(f"== bench.{name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        failed += bool(module.main())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
