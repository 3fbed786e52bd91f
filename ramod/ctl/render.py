"""What ramoctl prints: the API's answers as aligned tables and field lists for people, or
as JSON; pure functions from decoded JSON to text."""

import json


def render_json(data) -> str:
    """The API's answer as indented JSON, non-ASCII text kept as is."""
    return json.dumps(data, indent=2, ensure_ascii=False)


# -- cells, tables and fields ------------------------------------------------

def cell(value) -> str:
    """A value as one table cell: ``-`` for None, yes/no, control characters escaped."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def format_table(headers, rows, right=()) -> str:
    """Columns aligned with two spaces between them; columns named in ``right`` are
    right-aligned (numbers).  The last column is not padded."""
    lines = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    out = []
    for line in lines:
        cells = [text.rjust(width) if header in right else text.ljust(width)
                 for text, width, header in zip(line, widths, headers)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def format_fields(pairs, indent: str = "") -> str:
    """``Label:  value`` lines with the values aligned."""
    width = max((len(label) for label, _ in pairs), default=0) + 1
    return "\n".join(f"{indent}{label + ':':<{width}}  {cell(value)}".rstrip()
                     for label, value in pairs)


def format_size(size, human=None) -> str:
    """``"1.5 MB (1500000 bytes)"``; the human form is the server's (decimal units)."""
    if size is None:
        return "none"
    if not human or human == f"{size} B":
        return f"{size} B"
    return f"{human} ({size} bytes)"


def format_rate_limit(rate) -> str:
    return "unlimited" if rate is None else f"{rate:g} requests/s"


# -- stats -------------------------------------------------------------------

def render_stats(s) -> str:
    return format_fields([
        ("Credentials", s["credentials"]),
        ("Buckets", s["buckets"]),
        ("Objects", s["objects"]),
        ("Total storage", format_size(s["total_storage"], s.get("total_storage_human"))),
        ("Multipart uploads", s["active_multipart_uploads"]),
        ("Presigned URLs", s["active_presigned_urls"]),
    ])


# -- keys --------------------------------------------------------------------

def credential_fields(c) -> list:
    return [("ID", c["id"]), ("User", c["user_name"]), ("Access key", c["access_key"]),
            ("Active", c["is_active"]), ("Root", c["is_root"]),
            ("Rate limit", format_rate_limit(c.get("rate_limit"))), ("Created", c["created_at"])]


def render_credential(c) -> str:
    return format_fields(credential_fields(c))


def render_created_credential(c) -> str:
    """A new key's fields with its secret, which the API returns this once."""
    return format_fields(credential_fields(c) + [("Secret key", c["secret_key"])])


def render_credential_with_buckets(c) -> str:
    """A key's fields, its bucket count and its user's buckets."""
    text = format_fields(credential_fields(c) + [("Buckets", c.get("bucket_count", 0))])
    if c.get("buckets"):
        text += "\n\n" + format_table(
            ["BUCKET", "OBJECTS", "SIZE"],
            [(b["name"], b["object_count"], b.get("total_size_human", b["total_size"]))
             for b in c["buckets"]], right={"OBJECTS", "SIZE"})
    return text


def render_credential_page(page) -> str:
    return format_table(
        ["ID", "USER", "ACCESS KEY", "ACTIVE", "ROOT", "RATE LIMIT", "CREATED"],
        [(c["id"], c["user_name"], c["access_key"], c["is_active"], c["is_root"],
          format_rate_limit(c.get("rate_limit")), c["created_at"]) for c in page["items"]],
        right={"ID"})


# -- buckets -----------------------------------------------------------------

def render_bucket(b) -> str:
    return format_fields([
        ("Name", b["name"]), ("Region", b["region"]),
        ("Owner", f"{b['owner_name']} (key {b['owner_id']})"), ("Created", b["created_at"]),
        ("Objects", b["object_count"]),
        ("Size", format_size(b["total_size"], b.get("total_size_human"))),
        ("Uploads in progress", format_size(b["multipart_size"], b.get("multipart_size_human"))),
        ("Quota", format_size(b.get("quota_bytes"), b.get("quota_bytes_human"))),
    ])


def render_bucket_page(page) -> str:
    return format_table(
        ["NAME", "OWNER", "OBJECTS", "SIZE", "QUOTA", "CREATED"],
        [(b["name"], b["owner_name"], b["object_count"], b.get("total_size_human"),
          b.get("quota_bytes_human") or "none", b["created_at"]) for b in page["items"]],
        right={"OBJECTS", "SIZE", "QUOTA"})


def render_bucket_with_objects(b) -> str:
    """A bucket and the first page of its objects, if it has any."""
    text = render_bucket(b)
    objects = b.get("objects") or {}
    if objects.get("items") or objects.get("common_prefixes"):
        more = " (the first ones; see: ramoctl objects list)" if objects.get("next_cursor") else ""
        text += f"\n\nObjects{more}:\n" + render_object_page(objects)
    return text


# -- objects -----------------------------------------------------------------

def render_object_page(page) -> str:
    rows = [(o["key"], o.get("size_human", o["size"]), o["last_modified"], o["etag"])
            for o in page.get("items", [])]
    rows += [(prefix, "PRE", "", "") for prefix in page.get("common_prefixes", [])]
    rows.sort(key=lambda row: row[0].encode("utf-8", "surrogatepass"))
    return format_table(["KEY", "SIZE", "LAST MODIFIED", "ETAG"], rows, right={"SIZE"})


def render_object(o) -> str:
    parts = o.get("part_count")
    text = format_fields([
        ("Key", o["key"]), ("Size", format_size(o["size"], o.get("size_human"))),
        ("Content type", o.get("content_type")), ("ETag", o["etag"]),
        ("Storage class", o.get("storage_class")),
        ("Multipart", f"yes ({parts} parts)" if o.get("is_multipart") else "no"),
        ("Storage path", o.get("storage_path")),
        ("Created", o.get("created_at")), ("Updated", o.get("updated_at")),
    ])
    for title, mapping in (("Metadata", o.get("metadata")), ("Headers", o.get("headers")),
                           ("Checksums", o.get("checksums")), ("Tags", o.get("tags"))):
        if mapping:
            text += f"\n\n{title}:\n" + format_fields(sorted(mapping.items()), indent="  ")
    if o.get("parts"):
        text += "\n\nParts:\n" + format_table(
            ["PART", "SIZE", "ETAG", "STORAGE PATH"],
            [(p["part_number"], p["size"], p["etag"], p.get("storage_path")) for p in o["parts"]],
            right={"PART", "SIZE"})
    return text


# -- uploads -----------------------------------------------------------------

def render_upload_page(page) -> str:
    return format_table(
        ["UPLOAD ID", "KEY", "INITIATED BY", "PARTS", "SIZE", "INITIATED"],
        [(u["upload_id"], u["object_key"], u["initiated_by"], u["part_count"],
          u.get("total_size_human", u["total_size"]), u["initiated_at"]) for u in page["items"]],
        right={"PARTS", "SIZE"})


# -- presigned URLs ----------------------------------------------------------

def link_status(link) -> str:
    if link.get("revoked_at"):
        return "revoked"
    return "active" if link.get("is_active") else "expired"


def render_link(link) -> str:
    return format_fields([
        ("ID", link["id"]), ("Status", link_status(link)), ("Method", link["method"]),
        ("Bucket", link["bucket_name"]), ("Key", link["object_key"]),
        ("Access key", link["access_key"]), ("Created", link["created_at"]),
        ("Expires", link["expires_at"]), ("Revoked", link.get("revoked_at")), ("URL", link["url"]),
    ])


def render_link_page(page) -> str:
    return format_table(
        ["ID", "METHOD", "BUCKET", "KEY", "ACCESS KEY", "EXPIRES"],
        [(u["id"], u["method"], u["bucket_name"], u["object_key"], u["access_key"],
          u["expires_at"]) for u in page["items"]], right={"ID"})
