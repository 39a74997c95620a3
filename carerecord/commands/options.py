"""Options shared by several commands, and turning them into Settings and a Store."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from carerecord.errors import ConfigurationError
from carerecord.ingest.exclusions import ExclusionList
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.migrate import current_revision, head_revision


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="database URL (default: $CARERECORD_DB, else sqlite:///carerecord.db)"
    )


def add_exclusions_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exclusion-sets",
        metavar="FOLDER",
        help="folder of FHIR ValueSets of legally restricted codes "
        "(default: $CARERECORD_EXCLUSION_SETS)",
    )


def warn_without_exclusions(exclusions: ExclusionList, console: Console) -> None:
    if len(exclusions):
        console.print(
            f"legally restricted codes: {len(exclusions):,} in {len(exclusions.sets)} sets "
            f"({', '.join(exclusions.sets)})",
            highlight=False,
        )
    else:
        console.print(
            "[bold yellow]warning:[/] no legally restricted code lists are loaded "
            "(set CARERECORD_EXCLUSION_SETS): nothing will be excluded at ingest",
            highlight=False,
        )


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    return Settings.from_env(db=getattr(args, "db", None), **extra)


def open_store(settings: Settings, *, require_schema: bool = True) -> Store:
    """The composition root's Store; refuses a database whose schema is not migrated."""
    store = Store.open(settings.db)
    try:
        revision = current_revision(store.engine)
    except SQLAlchemyError as error:  # its message may quote the URL: name the masked one only
        store.close()
        raise ConfigurationError(
            f"cannot connect to the database at {settings.db_without_password()} "
            f"({type(error).__name__})"
        ) from None
    if require_schema and revision != head_revision():
        store.close()
        raise ConfigurationError(
            f"the database at {settings.db_without_password()} is not at the current schema: "
            "run `carerecord db upgrade` first"
        )
    return store
