"""`carerecord audit verify|head`: checking the audit log's hash chain end to end, and
printing its head for an outside party to keep. Exit 0 when the chain holds; 1 when it is
broken (the first broken entry named); 2 for unusable input; 3 when the database cannot be
used. Both are recorded in the log itself, as `operator:<login>`."""

from __future__ import annotations

import argparse
import getpass
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from carerecord.audit import canonical, head, stretches, verify
from carerecord.audit.entry import AuditRecord
from carerecord.commands.audit_export import register_export
from carerecord.commands.audit_retention import register_retention
from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.commands.terminal import plain
from carerecord.errors import UsageError
from carerecord.store import Store, audit_retention
from carerecord.store import audit as audit_log

EXIT_BROKEN = 1
PARALLEL_FROM = 200_000  # below this a single walk takes a few seconds: no processes to start


def register(sub: Any) -> None:
    cmd = sub.add_parser("audit", help="the audit log: check its chain, print its head")
    a_sub = cmd.add_subparsers(title="audit commands", metavar="COMMAND", required=True)

    check = a_sub.add_parser("verify", help="check every entry's hash, oldest to newest")
    check.add_argument(
        "--head",
        metavar="FILE",
        type=Path,
        help="a head printed earlier by `audit head`: it must still be in the chain",
    )
    check.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="processes walking stretches of the log at once (default: one per CPU, up to 4, "
        f"for a log of {PARALLEL_FROM:,} entries or more; else one)",
    )
    add_db_option(check)
    check.set_defaults(run=run_verify)

    top = a_sub.add_parser("head", help="print the newest entry's id and hash")
    top.add_argument(
        "--signed", action="store_true", help="sign it with CARERECORD_AUDIT_SIGNING_KEY"
    )
    add_db_option(top)
    top.set_defaults(run=run_head)

    register_export(a_sub)
    register_retention(a_sub)


def run_verify(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    known = None
    if args.head is not None:
        key = head.signing_key(settings.audit_signing_key) if settings.audit_signing_key else None
        try:
            text = args.head.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read the head {args.head}: {error}") from None
        document, checked = head.read(text, key)
        known = verify.KnownHead(document["entry"], document["hash"])
        if not checked:
            console.print("note: the head's signature was not checked (no signing key set)")
    store = open_store(settings)
    try:
        started = time.monotonic()
        after_id, start_hash = audit_retention.chain_start(store.engine)
        problem = audit_retention.start_problem(store.engine)
        if problem is None and known is not None and known.entry_id <= after_id:
            problem = _purged_head(known, after_id, start_hash, console)
            known = None
        report = None if problem is None else verify.Report(0, None, start_hash, problem)
        jobs = args.jobs or _jobs_for(store, after_id)
        if report is None and jobs > 1 and known is None:
            report = stretches.in_parallel(settings.db, store, after_id, start_hash, jobs)
        if report is None:  # one process; or a break, named exactly by the ordered walk
            report = verify.verify(
                audit_log.entries(store.engine, after_id),
                audit_log.StoredChain(store.engine),
                start_hash,
                known,
            )
        seconds = time.monotonic() - started
        detail: dict[str, object] = {"checked": report.checked, "head": report.head_hash}
        if report.broken is not None:
            detail |= {"broken_at": report.broken.entry_id, "kind": report.broken.kind}
        outcome = "success" if report.ok else "failure"
        _audit(store, "audit-verify", outcome, detail)
    finally:
        store.close()
    if report.broken is not None:
        console.print(plain(f"BROKEN: {report.broken.message}"))
        console.print(f"{report.checked:,} entries checked before it, in {seconds:.1f} s")
        return EXIT_BROKEN
    console.print(
        f"ok: {report.checked:,} entries, chain intact, in {seconds:.1f} s; "
        f"head #{report.head_id} {report.head_hash}"
    )
    return 0


def run_head(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    if args.signed and not settings.audit_signing_key:
        raise UsageError("--signed needs CARERECORD_AUDIT_SIGNING_KEY: a PEM private key file")
    key = head.signing_key(settings.audit_signing_key) if args.signed else None
    store = open_store(settings)
    try:
        newest = audit_log.head(store.engine)
        taken = head.Head(
            newest.id if newest else 0,
            newest.hash if newest else canonical.GENESIS,
            audit_log.count(store.engine),
            datetime.now(UTC),
            settings.base_url,
        )
        _audit(store, "audit-head", "success", {"entry": taken.entry_id, "hash": taken.hash})
    finally:
        store.close()
    if key is not None:
        console.print(head.signed(taken, key), soft_wrap=True)
    else:
        console.print(orjson.dumps(taken.document()).decode(), soft_wrap=True, highlight=False)
    return 0


def _jobs_for(store: Store, after_id: int) -> int:
    bounds = audit_log.id_bounds(store.engine, after_id)
    if bounds is None or bounds[1] - bounds[0] < PARALLEL_FROM:
        return 1
    return min(4, os.cpu_count() or 1)


def _purged_head(
    known: verify.KnownHead, after_id: int, start_hash: str, console: Console
) -> verify.Break | None:
    """A head kept from before a purge: only the last entry purged is still known (its hash is
    the checkpoint's); one purged earlier can no longer be checked."""
    if known.entry_id < after_id:
        console.print(
            f"note: the head #{known.entry_id} was purged with the entries up to #{after_id}; "
            "it cannot be checked against the log any more"
        )
        return None
    if known.hash == start_hash:
        return None
    return verify.Break(
        known.entry_id,
        "altered",
        f"entry #{known.entry_id}, the head kept outside, was the last purged, but the "
        "checkpoint holds a different hash: the log was rewritten from there",
    )


def _audit(store: Store, action: str, outcome: str, detail: dict[str, object]) -> None:
    actor = f"operator:{getpass.getuser()}"
    store.consent.audit(AuditRecord(actor, action, outcome, detail), datetime.now(UTC))
