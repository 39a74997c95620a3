"""Writers in one process take turns: on SQLite they queue on the engine's lock before asking
for the database's write lock, so none waits out its busy timeout while others come and go;
on PostgreSQL nothing is queued here (the database orders writers itself)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from carerecord.store.engine import create_engine_for

THREADS = 8
WRITES = 25


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE tally (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO tally VALUES (0)"))
    yield engine
    engine.dispose()


def writer(engine: Engine) -> Engine:
    return engine.execution_options(carerecord_write=True)


def test_concurrent_writers_of_one_process_all_commit_and_lose_no_update(engine: Engine) -> None:
    failures: list[BaseException] = []

    def add_ones() -> None:
        try:
            for _ in range(WRITES):
                with writer(engine).begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(text("LOCK TABLE tally IN EXCLUSIVE MODE"))
                    n = conn.execute(text("SELECT n FROM tally")).scalar_one()
                    conn.execute(text("UPDATE tally SET n = :n"), {"n": n + 1})
        except BaseException as error:  # reported below, with the thread's own traceback
            failures.append(error)

    threads = [threading.Thread(target=add_ones) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM tally")).scalar_one() == THREADS * WRITES


def test_a_writer_that_fails_gives_up_its_turn(engine: Engine) -> None:
    with pytest.raises(RuntimeError), writer(engine).begin() as conn:
        conn.execute(text("UPDATE tally SET n = 1"))
        raise RuntimeError("the work failed")
    done = threading.Event()

    def write() -> None:
        with writer(engine).begin() as conn:
            conn.execute(text("UPDATE tally SET n = 2"))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(timeout=5)  # a turn left held would keep it waiting for the 10 s timeout
    assert done.is_set()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM tally")).scalar_one() == 2


def test_a_reader_does_not_wait_for_a_writer_and_sees_only_what_was_committed(
    engine: Engine,
) -> None:
    with writer(engine).begin() as conn:
        conn.execute(text("UPDATE tally SET n = 5"))
        seen: list[int] = []
        thread = threading.Thread(target=lambda: seen.append(_read(engine)))
        thread.start()
        thread.join(timeout=5)
        assert seen == [0]
    assert _read(engine) == 5


def test_a_writer_held_up_by_another_process_goes_on_when_it_commits(
    engine: Engine, db_url: str
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("another process's write lock is SQLite's own (busy_timeout)")
    other = create_engine_for(db_url)  # an engine of its own, as another process has
    try:
        with writer(other).begin() as held:
            held.execute(text("UPDATE tally SET n = 7"))
            result: list[int] = []

            def add_one() -> None:
                with writer(engine).begin() as conn:
                    n = conn.execute(text("SELECT n FROM tally")).scalar_one()
                    conn.execute(text("UPDATE tally SET n = :n"), {"n": n + 1})
                result.append(_read(engine))

            thread = threading.Thread(target=add_one)
            thread.start()
            thread.join(timeout=0.3)
            assert result == []  # still waiting for the other engine's write lock
        thread.join(timeout=10)
        assert result == [8]
    finally:
        other.dispose()


def _read(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT n FROM tally")).scalar_one())
