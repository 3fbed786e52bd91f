"""Everything ramogui needs from a Ramo server, without Qt: usable from worker threads."""
