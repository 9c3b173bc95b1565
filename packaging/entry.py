"""PyInstaller entry point: the frozen ``monitor`` executable (GUI, ``serve``, ``watch``)."""

import sys

from monitor.cli import main

if __name__ == "__main__":
    sys.exit(main())
