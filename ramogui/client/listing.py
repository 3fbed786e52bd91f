"""Listing a folder again as far as it was shown: the first pages in one background call, so
a refresh keeps the rows (and the place) the person had scrolled to."""


def first_pages(admin, bucket: str, prefix: str, *, limit: int, pages: int) -> list[dict]:
    """The first ``pages`` pages (fewer when the listing ends sooner) of the ``/``-delimited
    listing of ``prefix`` in ``bucket``, each a management-API ``ObjectListing``.

    :param admin: an ``AdminClient``.
    """
    found, cursor = [], None
    while len(found) < max(1, pages):
        page = admin.list_objects(bucket, prefix=prefix or None, delimiter="/", limit=limit,
                                  cursor=cursor)
        found.append(page)
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return found
