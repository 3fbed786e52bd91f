"""Object data on the filesystem."""
