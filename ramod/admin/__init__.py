"""The management API: JSON over HTTP on its own listener."""
