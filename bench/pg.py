"""What the PostgreSQL benchmarks share: a fresh, migrated database of their own."""

import os
import subprocess


def fresh_database(url: str) -> None:
    """Drop and recreate the database `url` names (it must contain "bench"), point Django at
    it, set Django up and migrate."""
    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: a benchmark database's name contains 'bench'")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for statement in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", statement], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
