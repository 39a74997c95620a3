"""The `carerecord` command: composition root for everything run from a terminal.

Exit codes are stable: 0 done; 1 done, but something was quarantined; 2 bad usage or input
(an operator refused included); 3 the database, the audit log or a file could not be used.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from carerecord.errors import (
    AuditUnavailable,
    CareRecordError,
    ConfigurationError,
    UnsupportedFormat,
)

EXIT_OK, EXIT_QUARANTINED, EXIT_USAGE, EXIT_UNUSABLE = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    # Imported here, not above: a process started by `spawn` (audit verify --jobs) runs this
    # module again as its main, and must not import every command and the web app to do it.
    from carerecord import commands

    parser = commands.build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    # soft_wrap: messages stay whole on one line, whatever the terminal width, for grep and logs
    console, errors = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    try:
        return int(args.run(args, console))
    except (ConfigurationError, UnsupportedFormat, AuditUnavailable, OSError) as error:
        errors.print(_error(error), highlight=False)
        return EXIT_UNUSABLE
    except CareRecordError as error:
        errors.print(_error(error), highlight=False)
        return EXIT_USAGE
    except KeyboardInterrupt:
        errors.print("interrupted: every batch written before this point is committed")
        return 130


def _error(error: Exception) -> Text:
    """Messages can quote input (a file's name, a stored reason): shown as text, never markup."""
    from carerecord.commands.terminal import plain

    return Text.assemble(("error:", "bold red"), " ", plain(str(error)))


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
