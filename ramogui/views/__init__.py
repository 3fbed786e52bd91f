"""Widgets and windows: layout and user actions; network work goes through a ``Runner``."""
