"""Import every module of the app, as a production install would run it.

Run from a virtual environment of ``requirements.txt`` alone: a module the app
imports at run time that only the development requirements provide fails here,
whether or not a page that uses it was requested.
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("verifier", "claims", "sources")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verifier.settings")
    import django

    django.setup()
    count = 0
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            importlib.import_module(module.name)
            count += 1
    print(f"Imported {count} modules of {', '.join(PACKAGES)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
