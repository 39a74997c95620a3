"""The read every page makes is an index range scan, on both engines."""

from __future__ import annotations

from sqlalchemy import not_, select

from carerecord.store import Store
from carerecord.store.schema import resources


def _section_query():  # type: ignore[no-untyped-def]
    return (
        select(resources.c.body)
        .where(
            resources.c.patient_id == "p",
            resources.c.section == "results",
            not_(resources.c.hidden),
        )
        .order_by(resources.c.clinical_date.desc())
    )


def test_current_items_of_one_section_come_from_the_partial_index(store: Store) -> None:
    query = _section_query()
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(
                str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            )
            assert "ix_resources_patient_section_date" in plan
            assert "TEMP B-TREE" not in plan  # no sort: the index order is the answer
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
            assert "ix_resources_patient_section_date" in plan
            assert "Sort" not in plan
