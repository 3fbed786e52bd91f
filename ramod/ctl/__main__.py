"""``python -m ramod.ctl``: the same as the ``ramoctl`` command."""

import sys

from ramod.ctl import main

sys.exit(main())
