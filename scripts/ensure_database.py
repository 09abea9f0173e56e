"""Create the PostgreSQL database that DATABASE_URL names if it does not exist yet, so that
`make lint` checks the migration history against a real database (on CI nothing else creates
it; the tests use their own test_<name>). SQLite files are created by `migrate` itself."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nhi_portal.env import database_from_url


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return 0
    import psycopg2
    from psycopg2 import sql

    db = database_from_url(url, conn_max_age=0)
    params = {"dbname": "postgres", "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"]}
    if db["PORT"]:
        params["port"] = db["PORT"]
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"created database {db['NAME']}")
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
