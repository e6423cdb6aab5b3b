"""The command line: a thin layer that parses flags, calls the library and sets exit codes.

Exit codes: 0 done; 1 failed (nothing was produced); 2 wrong usage; 3 done, but some inputs
were skipped, or read but changed (cut to a limit, say; each is named on stderr with why).

`main` (the group, its global options and the helpers commands share) is in common.py; each
module here adds its commands to it when imported: briefing (brief, demo, verify), library
(ingest, stories, edition), sources (add, sources, remove, fetch, watch), operations (worker,
backfill, migrate, export, import, serve) and settings (config). Packages add more through
`newsweave.commands` entry points (common.COMMANDS_GROUP), as the benchmarks add `eval*`.
"""

# Imported for what they do: each adds its commands to main.
from newsweave.cli import briefing, library, operations, settings, sources  # noqa: F401
from newsweave.cli.common import EXIT_FAILED, EXIT_SKIPPED, main

__all__ = ["EXIT_FAILED", "EXIT_SKIPPED", "main"]
