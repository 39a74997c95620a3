"""Sub-commands of `carerecord`, one module per noun; each registers itself on the parser."""

from __future__ import annotations

import argparse

from carerecord.commands import (
    audit,
    client,
    copi,
    db,
    demo,
    exclusions,
    ingest,
    objection,
    org,
    quarantine,
    sender,
    serve,
    synth,
    user,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carerecord",
        description="A read-only, joined-up view of a person's health and care record.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (
        demo,
        serve,
        db,
        org,
        user,
        copi,
        client,
        ingest,
        exclusions,
        quarantine,
        sender,
        objection,
        audit,
        synth,
    ):
        module.register(sub)
    return parser
