#!/usr/bin/env python3
"""Starts the local MPSD emulator: the package mpsd_emulator/ beside this file.

    python3 tools/mpsd_emulator.py --help     (or, from tools/: python3 -m mpsd_emulator)
"""

import sys

# sys.path[0] is this file's folder, and a package wins over a module of the
# same name there, so this imports the package, not this launcher.
from mpsd_emulator import main

if __name__ == '__main__':
    sys.exit(main())
