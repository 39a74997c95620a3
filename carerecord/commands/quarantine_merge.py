"""`carerecord quarantine confirm-merge ID --operator NAME`: a merge a source sent of two different
people (different NHS numbers or dates of birth) waits in the quarantine until a person has
checked they are one person; this applies it, as that named operator, recorded in the audit log
(for both people) before anything is changed."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.text import Text

from carerecord.commands.operator_sign_in import add_operator_option, record_use, signed_in_operator
from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.commands.terminal import plain
from carerecord.errors import UsageError
from carerecord.ingest.confirm_merge import confirm, pending_merge
from carerecord.ingest.rules import RulesSource


def register_confirm_merge(q_sub: Any) -> None:
    parser = q_sub.add_parser(
        "confirm-merge",
        help="apply a quarantined merge of two identities once you have checked they are one "
        "person (merge-needs-confirmation)",
    )
    parser.add_argument("id", type=int)
    add_operator_option(parser)
    add_db_option(parser)
    parser.set_defaults(run=run_confirm_merge)


def run_confirm_merge(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    store = open_store(settings)
    try:
        operator = signed_in_operator(store, settings, args.operator, "quarantine confirm-merge")
        entry = store.quarantine_entry(args.id)
        if entry is None:
            raise UsageError(f"no quarantined item #{args.id}")
        rules = RulesSource(store, settings).current()
        merge = pending_merge(entry, rules)
        prior, surviving = store.merge_identities(merge)
        detail = {
            "quarantine_id": entry.id,
            "source": entry.source_ods,
            "reason_code": entry.reason_code,
            "prior_local_id": merge.prior_local_id,
            "surviving_local_id": merge.surviving_local_id,
        }
        for person in dict.fromkeys((surviving.patient_id, prior.patient_id)):
            record_use(store, operator, detail, person)
        outcome = confirm(store, rules, entry, merge, operator.account.username)
    finally:
        store.close()
    console.print(Text(plain(f"#{entry.id}: {outcome.detail}")))
    return 0 if outcome.resolved else 1
