"""Metadata in peewee models (SQLite by default, PostgreSQL for several nodes)."""
