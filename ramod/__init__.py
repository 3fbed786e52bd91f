"""Ramo: a self-hosted, S3-compatible object store served by Twisted."""

__version__ = "0.1.0"
