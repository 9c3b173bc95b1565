"""Command-line entry point: ``monitor`` (the GUI), ``monitor serve``, ``monitor watch``, ``monitor bridge``.

Each subcommand lives in its own layer and owns its own argument parser; this module only
dispatches, and imports lazily so that ``monitor serve`` never loads Qt and ``monitor watch``
never loads the server. ``monitor --help`` is the app's own help, which lists the
subcommands too (``monitor serve --help``, ``monitor watch --help`` have theirs).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from monitor import __version__

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the GUI, the server or the headless watcher; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--version"], ["-V"]):
        print(f"monitor {__version__}")
        return 0
    if args[:1] == ["serve"]:
        from monitor.server.cli import main as serve_main

        return serve_main(args[1:])
    if args[:1] == ["bridge"]:
        try:
            from monitor.bridge.cli import main as bridge_main
        except ImportError:  # the frozen app leaves the bridges out (packaging/bundle_rules.py)
            sys.stderr.write(
                "monitor bridge: not part of this build; run it from a Python install: "
                "pip install 'monitor[celery]'\n"
            )
            return 2
        return bridge_main(args[1:])
    if args[:1] == ["watch"]:
        from monitor.client.watch import main as watch_main

        return watch_main(args[1:])
    if args[:1] == ["--help-gui"]:  # the old spelling: --help now shows the app's options itself
        args = ["--help"]
    from monitor.app import main as app_main

    return app_main(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
