"""``python -m ramogui``."""

import sys

from ramogui.app import main

sys.exit(main())
