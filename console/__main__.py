"""Entry point: `incident-console` with a command runs the command line; without one (or
with only window options such as `--wall`, or an `incident-console://` link) it opens the
desktop console, or hands the link to the console already running."""

from __future__ import annotations

import sys

from console.text import not_utf8

WINDOW_OPTIONS = ("--db", "--port", "--host", "--wall", "--screen")


def wants_window(argv: list[str]) -> bool:
    """No command given: only window options, a deep link, or nothing at all."""
    return (
        not argv
        or argv[0].startswith(WINDOW_OPTIONS)
        or argv[0].lower().startswith("incident-console://")
    )


def main() -> int:
    """Dispatch to the window or the command line."""
    argv = sys.argv[1:]
    undecodable = not_utf8(argv)
    if undecodable is not None:
        # repr escapes the surrogates, so the message itself can be printed.
        print(
            f"incident-console: error: argument {undecodable!r} is not valid UTF-8 text",
            file=sys.stderr,
        )
        return 2
    if wants_window(argv):
        from console.app import main as app_main

        return app_main(argv)
    from console.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
