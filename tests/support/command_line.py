"""Running `carerecord` as an operator would, against a test database."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from carerecord.cli import main

Cli = Callable[..., tuple[int, str, str]]  # argv → (exit code, stdout, stderr)
OPERATOR = "ops-alice"  # the operating-system user the commands run as


def command_line(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """The command on this database, run by OPERATOR, whatever the environment says."""
    monkeypatch.delenv("CARERECORD_DB", raising=False)
    monkeypatch.delenv("CARERECORD_PASSWORD", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # tables whole on one line each
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):  # getpass.getuser() reads these
        monkeypatch.setenv(name, OPERATOR)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([*argv, "--db", db_url])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
