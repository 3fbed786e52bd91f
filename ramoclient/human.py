"""Numbers for people: byte sizes in decimal units."""


def human_bytes(size: int) -> str:
    """``512`` -> ``"512 B"``, ``1500000`` -> ``"1.5 MB"`` (one decimal from kB up)."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if value < 999.95 or unit == "PB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
