"""ramoctl's commands: each ``cmd_*`` makes its calls on an ``AdminClient``, prints the
answer (text from :mod:`ramod.ctl.render`, or JSON with ``--json``) and returns the exit status."""

import sys

from ramoclient.admin import iter_pages
from ramod.ctl.render import (
    cell, render_bucket, render_bucket_page, render_bucket_with_objects, render_created_credential,
    render_credential, render_credential_page, render_credential_with_buckets, render_json,
    render_link, render_link_page, render_object, render_object_page, render_stats,
    render_upload_page)

EXIT_OK, EXIT_API_ERROR, EXIT_USAGE, EXIT_CONNECTION = 0, 1, 2, 3
BUCKET_SHOW_OBJECTS = 20


# -- output helpers ----------------------------------------------------------

def emit(args, data, render) -> int:
    """Print ``data`` as JSON with ``--json``, else ``render(data)``."""
    if args.json:
        print(render_json(data))
    else:
        print(render(data))
    return EXIT_OK


def done(args, message: str) -> int:
    """Confirm an action that answers nothing (204); silent with ``--json``."""
    if not args.json:
        print(message)
    return EXIT_OK


def fetch_list(args, list_page, *positional, **params) -> dict:
    """With ``--limit``, one page; else every page from ``--cursor`` on, merged into one."""
    if args.limit:
        return list_page(*positional, limit=args.limit, cursor=args.cursor, **params)
    merged = {"items": [], "next_cursor": None}
    for page in iter_pages(list_page, *positional, cursor=args.cursor, **params):
        merged["items"] += page.get("items", [])
        if "common_prefixes" in page:
            merged.setdefault("common_prefixes", []).extend(page["common_prefixes"])
    return merged


def emit_list(args, page, render, empty: str) -> int:
    """Print a list: JSON as is, else ``render(page)`` or ``empty`` and a paging hint."""
    if args.json:
        return emit(args, page, None)
    print(render(page) if page["items"] or page.get("common_prefixes") else empty)
    if page.get("next_cursor"):
        print(f"(more: add --cursor {page['next_cursor']})", file=sys.stderr)
    return EXIT_OK


# -- stats -------------------------------------------------------------------

def cmd_stats(client, args) -> int:
    return emit(args, client.stats(), render_stats)


# -- keys --------------------------------------------------------------------

def cmd_keys_list(client, args) -> int:
    page = fetch_list(args, client.list_credentials, user_name=args.user)
    return emit_list(args, page, render_credential_page, "No access keys.")


def cmd_keys_create(client, args) -> int:
    created = client.create_credential(
        user_name=args.user, access_key=args.access_key, secret_key=args.secret_key,
        is_active=False if args.disabled else None, rate_limit=args.rate_limit)
    warning = "Save the secret key now: it will not be shown again."
    if args.json:
        print(warning, file=sys.stderr)
        return emit(args, created, None)
    print(render_created_credential(created))
    print(f"\n{warning}")
    return EXIT_OK


def cmd_keys_show(client, args) -> int:
    credential = client.get_credential(args.id)
    credential.pop("secret_key", None)  # never returned after creation; never printed either
    return emit(args, credential, render_credential_with_buckets)


def cmd_keys_update(client, args) -> int:
    return emit(args, client.update_credential(args.id, **args.changes(args)), render_credential)


def cmd_keys_delete(client, args) -> int:
    client.delete_credential(args.id)
    return done(args, f"Deleted access key {args.id}.")


# -- buckets -----------------------------------------------------------------

def cmd_buckets_list(client, args) -> int:
    page = fetch_list(args, client.list_buckets, prefix=args.prefix, owner_id=args.owner)
    return emit_list(args, page, render_bucket_page, "No buckets.")


def cmd_buckets_create(client, args) -> int:
    bucket = client.create_bucket(args.name, owner_id=args.owner, region=args.region,
                                  quota_bytes=args.quota)
    return emit(args, bucket, render_bucket)


def cmd_buckets_show(client, args) -> int:
    return emit(args, client.get_bucket(args.name, limit=BUCKET_SHOW_OBJECTS),
                render_bucket_with_objects)


def cmd_buckets_quota(client, args) -> int:
    return emit(args, client.update_bucket(args.name, quota_bytes=args.size), render_bucket)


def cmd_buckets_owner(client, args) -> int:
    return emit(args, client.update_bucket(args.name, owner_id=args.owner), render_bucket)


def cmd_buckets_delete(client, args) -> int:
    client.delete_bucket(args.name, force=args.force)
    return done(args, f"Deleted bucket {args.name}.")


# -- objects -----------------------------------------------------------------

def cmd_objects_list(client, args) -> int:
    page = fetch_list(args, client.list_objects, args.bucket, prefix=args.prefix,
                      delimiter=args.delimiter)
    return emit_list(args, page, render_object_page, "No objects.")


def cmd_objects_show(client, args) -> int:
    return emit(args, client.get_object(args.bucket, args.key), render_object)


def cmd_objects_delete(client, args) -> int:
    result = client.delete_objects(args.bucket, args.keys)
    if args.json:
        emit(args, result, None)
    else:
        for key in result["deleted"]:
            print(f"deleted: {cell(key)}")
    for error in result["errors"]:
        print(f"ramoctl: {error['error']}: {cell(error['key'])}: {error.get('message', '')}",
              file=sys.stderr)
    return EXIT_API_ERROR if result["errors"] else EXIT_OK


# -- uploads -----------------------------------------------------------------

def cmd_uploads_list(client, args) -> int:
    page = fetch_list(args, client.list_uploads, args.bucket, prefix=args.prefix)
    return emit_list(args, page, render_upload_page, "No multipart uploads in progress.")


def cmd_uploads_abort(client, args) -> int:
    client.abort_upload(args.bucket, args.upload_id)
    return done(args, f"Aborted upload {args.upload_id}.")


# -- presigned URLs ----------------------------------------------------------

def cmd_presign(client, args) -> int:
    link = client.create_presigned_url(args.bucket, args.key, method=args.method,
                                       expires_in=args.expires, access_key=args.access_key)
    if args.json:
        return emit(args, link, None)
    print(link["url"])
    print(f"(link {link['id']}, {link['method']} with key {link['access_key']}, expires "
          f"{link['expires_at']}; revoke: ramoctl links revoke {link['id']})", file=sys.stderr)
    return EXIT_OK


def cmd_links_list(client, args) -> int:
    page = fetch_list(args, client.list_presigned_urls, bucket_name=args.bucket)
    return emit_list(args, page, render_link_page, "No active presigned URLs.")


def cmd_links_show(client, args) -> int:
    return emit(args, client.get_presigned_url(args.id), render_link)


def cmd_links_revoke(client, args) -> int:
    client.revoke_presigned_url(args.id)
    return done(args, f"Revoked presigned URL {args.id}.")
