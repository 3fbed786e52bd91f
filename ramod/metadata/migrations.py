"""Schema versioning: create or upgrade the tables, one numbered step at a time."""

from ramod.metadata.models import ALL_MODELS, SchemaVersion

CURRENT_VERSION = 1


def _create_v1(db):
    db.create_tables(ALL_MODELS, safe=True)


#: version -> function bringing a database from version-1 to version
STEPS = {1: _create_v1}


def migrate(db) -> int:
    """Bring ``db`` to CURRENT_VERSION; return the version found before."""
    with db.atomic():
        db.create_tables([SchemaVersion], safe=True)
        row = SchemaVersion.select().first()
        found = row.version if row else 0
        if found > CURRENT_VERSION:
            raise RuntimeError(
                f"database schema version {found} is newer than this ramod ({CURRENT_VERSION})")
        for version in range(found + 1, CURRENT_VERSION + 1):
            STEPS[version](db)
        if row is None:
            SchemaVersion.create(version=CURRENT_VERSION)
        elif found != CURRENT_VERSION:
            SchemaVersion.update(version=CURRENT_VERSION).execute()
    return found
