"""Handlers of /credentials: access keys and the users they belong to."""

from ramod.admin import errors, fields, views
from ramod.admin.fields import Body
from ramod.metadata import errors as meta
from ramod.metadata.admin_queries import UNSET

USER_NAME = r"[A-Za-z0-9._@+-]{1,64}"
ACCESS_KEY = r"[A-Za-z0-9]{16,128}"
SECRET_KEY = r"[\x21-\x7e]{8,128}"
MAX_RATE = 1_000_000


def _rate(body: Body):
    return body.number("rate_limit", above=0, high=MAX_RATE, nullable=True, missing=UNSET)


async def _found(api, credential_id: int):
    info = await api.store.credential_by_id(credential_id)
    if info is None:
        raise errors.NoSuchCredential(f"There is no credential with id {credential_id}.")
    return info


async def list_credentials(api, req):
    limit = fields.limit(req.query)
    after = fields.decode_cursor(req.query) or 0
    if not isinstance(after, int):
        raise errors.InvalidRequest("cursor is not one this server made.")
    user = req.query.get("user_name")
    found = await api.store.list_credentials(after, limit + 1, user)
    cursor = fields.encode_cursor(found[limit - 1].id) if len(found) > limit else None
    return 200, views.page([views.credential(c) for c in found[:limit]], cursor)


async def create_credential(api, req):
    body = req.json()
    generated_access, generated_secret = api.generate_keys()
    access_key = body.string("access_key", pattern=ACCESS_KEY, default=generated_access,
                             what="16 to 128 letters and digits")
    secret_key = body.string("secret_key", pattern=SECRET_KEY, default=generated_secret,
                             what="8 to 128 printable ASCII characters without spaces")
    user_name = body.string("user_name", pattern=USER_NAME, default=access_key,
                            what="1 to 64 letters, digits or ._@+-")
    is_active = body.boolean("is_active", missing=True)
    rate = _rate(body)
    body.done()
    try:
        info = await api.store.create_credential(user_name, access_key, secret_key, is_active,
                                                 None if rate is UNSET else rate)
    except meta.AccessKeyTaken:
        raise errors.AccessKeyTaken(f"The access key {access_key} is taken.")
    return 201, views.credential(info, secret=True)


async def get_credential(api, req):
    info = await _found(api, req.params["id"])
    buckets = await api.store.list_buckets(info.user_name)
    return 200, {**views.credential(info), "bucket_count": len(buckets),
                 "buckets": [views.bucket_usage(b) for b in buckets]}


async def update_credential(api, req):
    body = req.json()
    user_name = body.string("user_name", pattern=USER_NAME, default=UNSET,
                            what="1 to 64 letters, digits or ._@+-")
    is_active = body.boolean("is_active", missing=UNSET)
    rate = _rate(body)
    body.done()
    try:
        info = await api.store.update_credential(req.params["id"], user_name, is_active, rate)
    except meta.CredentialMissing:
        raise errors.NoSuchCredential(f"There is no credential with id {req.params['id']}.")
    except meta.RootProtected:
        raise errors.RootCredentialProtected()
    return 200, views.credential(info)


async def delete_credential(api, req):
    try:
        await api.store.delete_credential(req.params["id"])
    except meta.CredentialMissing:
        raise errors.NoSuchCredential(f"There is no credential with id {req.params['id']}.")
    except meta.RootProtected:
        raise errors.RootCredentialProtected()
    except meta.CredentialInUse as e:
        raise errors.CredentialInUse(
            f"This is the user's last key and the user owns {e.buckets} bucket(s): delete them "
            f"or give them to another key (PATCH /buckets/{{bucket}} owner_id) first.")
    return 204, None
