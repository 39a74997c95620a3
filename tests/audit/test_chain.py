"""The audit log's hash chain, on SQLite and PostgreSQL: an intact log verifies; every way of
tampering with it directly in the database — editing, deleting, reordering or inserting an
entry, cutting off its end — is found, and `audit verify` names the exact entry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from carerecord.audit import canonical
from carerecord.audit.verify import KnownHead, Report, verify
from carerecord.store import Store
from carerecord.store import audit as audit_log
from carerecord.store.schema import audit_events
from tests.audit.tamper import edit, insert_between, remove, swap, unguarded, write_entries


def checked(store: Store, known: KnownHead | None = None) -> Report:
    return verify(
        audit_log.entries(store.engine, batch=7),  # small batches: the paging is exercised
        audit_log.StoredChain(store.engine),
        known=known,
    )


def test_an_untouched_log_verifies_to_its_head(store: Store) -> None:
    ids = write_entries(store, 20)

    report = checked(store)

    assert report.ok and report.checked == 20
    newest = audit_log.head(store.engine)
    assert newest is not None and (report.head_id, report.head_hash) == (ids[-1], newest.hash)


def test_an_empty_log_verifies(store: Store) -> None:
    report = checked(store)
    assert report.ok and report.checked == 0 and report.head_hash == canonical.GENESIS


def test_what_is_stored_is_exactly_what_was_hashed(store: Store) -> None:
    """Times in another zone, NULs, tuples and long names all come back as hashed."""
    from carerecord.audit.entry import AuditRecord

    odd = AuditRecord(
        "x" * 300, "search-details", "success",
        {"family": "O\x00Brien", "pair": ("a", 1), "when": datetime(2026, 6, 1, tzinfo=UTC)},
    )  # fmt: skip
    with store.engine.begin() as conn:
        audit_log.append(conn, odd, datetime(2026, 7, 1, 12, 0, 0, 123456, tzinfo=UTC))
    assert checked(store).ok


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "someone.else"},
        {"patient_id": "patient-99"},
        {"outcome": "failure"},
        {"organisation": "RAL01"},
        {"occurred_at": datetime(2026, 11, 2, 9, 30, tzinfo=UTC)},
    ],
    ids=["actor", "patient", "outcome", "organisation", "time"],
)
def test_an_edited_entry_is_named(store: Store, change: dict[str, object]) -> None:
    ids = write_entries(store, 10)
    edit(store, ids[4], **change)

    report = checked(store)

    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.kind) == (ids[4], "altered")
    assert report.checked == 4
    assert f"entry #{ids[4]} was altered" in report.broken.message


def test_an_edit_inside_the_detail_is_named(store: Store) -> None:
    ids = write_entries(store, 10)
    with unguarded(store) as conn:
        detail = conn.execute(
            select(audit_events.c.detail).where(audit_events.c.id == ids[6])
        ).scalar_one()
    detail["shown"] = {"page": "overview", "versions": []}
    edit(store, ids[6], detail=detail)

    broken = checked(store).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (ids[6], "altered")


def test_an_edited_entry_given_a_new_hash_breaks_the_link_after_it(store: Store) -> None:
    """A forger who recomputes the edited entry's own hash still cannot rechain the rest."""
    ids = write_entries(store, 10)
    with unguarded(store) as conn:
        entry = audit_log.stored(
            conn.execute(select(*audit_log.COLUMNS).where(audit_events.c.id == ids[3])).one()
        )
    forged = {**entry.__dict__, "actor": "someone.else"}
    fields = canonical.fields_of(type(entry)(**forged))
    edit(store, ids[3], actor="someone.else", hash=canonical.link(entry.prev_hash, fields))

    broken = checked(store).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (ids[4], "removed")
    assert "altered and its hash recomputed" in broken.message


def test_a_deleted_entry_is_found_where_it_was(store: Store) -> None:
    ids = write_entries(store, 10)
    remove(store, ids[5])

    broken = checked(store).broken

    assert broken is not None and (broken.entry_id, broken.kind) == (ids[6], "removed")


def test_deleting_the_first_entry_is_found(store: Store) -> None:
    ids = write_entries(store, 5)
    remove(store, ids[0])

    broken = checked(store).broken
    assert broken is not None and broken.entry_id == ids[1]


def test_two_entries_swapped_are_named_as_reordered(store: Store) -> None:
    ids = write_entries(store, 10)
    swap(store, ids[2], ids[3])

    broken = checked(store).broken

    assert broken is not None and (broken.entry_id, broken.kind) == (ids[2], "reordered")


@pytest.mark.parametrize("chained", [True, False], ids=["chained-forgery", "crude-forgery"])
def test_an_inserted_entry_is_named(store: Store, chained: bool) -> None:
    ids = write_entries(store, 10)
    insert_between(store, ids[4], ids[4] + 5, chained=chained)

    broken = checked(store).broken

    assert broken is not None and (broken.entry_id, broken.kind) == (ids[4] + 5, "inserted")


def test_an_entry_added_at_the_end_by_hand_without_its_hash_is_found(store: Store) -> None:
    ids = write_entries(store, 5)
    insert_between(store, ids[-1], ids[-1] + 10, chained=False)

    broken = checked(store).broken
    assert broken is not None and broken.entry_id == ids[-1] + 10


def test_cutting_off_the_newest_entries_is_found_against_a_kept_head(store: Store) -> None:
    ids = write_entries(store, 10)
    newest = audit_log.head(store.engine)
    assert newest is not None
    kept = KnownHead(newest.id, newest.hash)
    remove(store, ids[-1])
    remove(store, ids[-2])

    assert checked(store).ok  # a shorter chain is still a chain...
    broken = checked(store, kept).broken  # ...but not the one someone else kept the head of
    assert broken is not None and (broken.entry_id, broken.kind) == (ids[-1], "removed")


def test_a_kept_head_rewritten_in_place_is_found(store: Store) -> None:
    write_entries(store, 5)
    newest = audit_log.head(store.engine)
    assert newest is not None
    broken = checked(store, KnownHead(newest.id, "a" * 64)).broken
    assert broken is not None and broken.kind == "altered"


def test_entries_from_before_format_2_still_verify(store: Store) -> None:
    """The first entries carerecord wrote had fewer fields: their hashes are checked as they
    were made, and the chain runs on through newer ones."""
    import hashlib

    when = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    old = {
        "occurred_at": when.isoformat(),
        "actor": "system",
        "action": "import-objections",
        "patient_id": None,
        "outcome": "success",
        "detail": {"rows": 2},
    }
    digest = hashlib.sha256(
        canonical.GENESIS.encode() + orjson.dumps(old, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    with store.engine.begin() as conn:
        conn.execute(
            audit_events.insert().values(
                occurred_at=when, actor="system", action="import-objections", patient_id=None,
                outcome="success", detail={"rows": 2}, prev_hash=canonical.GENESIS,
                hash=digest, format=1,
            )
        )  # fmt: skip
    write_entries(store, 3)

    report = checked(store)
    assert report.ok and report.checked == 4


def test_the_database_itself_refuses_edits_and_deletes(store: Store) -> None:
    write_entries(store, 2)
    for statement in (
        "UPDATE audit_events SET actor = 'x'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert checked(store).ok


def test_tamper_helpers_restore_the_guards(store: Store, tmp_path: Path) -> None:
    ids = write_entries(store, 2)
    edit(store, ids[0], actor="x")
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_events")


def test_the_columns_read_back_are_in_the_entrys_own_order() -> None:
    from carerecord.audit.entry import StoredEntry

    assert [c.name for c in audit_log.COLUMNS] == list(StoredEntry.__dataclass_fields__)
