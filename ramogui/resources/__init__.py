"""Files shipped with the app (the icon)."""

from pathlib import Path


def icon_path() -> Path:
    """The app's icon, an SVG (also installed by ``packaging/`` for the desktop menu)."""
    return Path(__file__).with_name("ramogui.svg")
