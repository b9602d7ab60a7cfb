"""python3 -m mpsd_emulator (from tools/): same as python3 tools/mpsd_emulator.py."""

import sys

from . import main

sys.exit(main())
