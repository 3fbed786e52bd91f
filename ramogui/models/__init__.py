"""Qt item models; only the GUI thread fills them (``set_rows``/``append_rows``)."""
