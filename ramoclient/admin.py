"""A synchronous client for ramod's management API (docs/management-api.md).

Standard library only (no Twisted, no Qt), so ``ramoctl`` and the desktop app's worker
threads can both use it.  Every call opens its own connection (:mod:`ramoclient.endpoint`)
and the client keeps no state between calls, so one ``AdminClient`` may be shared between
threads.

Each operation returns the decoded JSON body (``None`` for a 204).  A refusal by the
server raises ``AdminApiError`` with the error code of its JSON body; a server that
cannot be reached raises ``AdminConnectionError``.
"""

import http.client
import json
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlencode

from ramoclient.endpoint import HttpEndpoint, failure_reason

API_PREFIX = "/api/v1"
MAX_DELETE_KEYS = 1000
_ERROR_BODY_PREVIEW = 200


class _Unset:
    """The type of ``UNSET``: "this argument was not given" where ``None`` means something."""

    def __repr__(self):
        return "UNSET"


UNSET: Any = _Unset()


class AdminError(Exception):
    """Base class of the errors this client raises."""


class AdminApiError(AdminError):
    """The management API answered with an error status.

    :param status: the HTTP status, e.g. 404.
    :param code: the ``error`` field of the JSON body, e.g. ``"no_such_bucket"``.
    :param message: the ``message`` field, a sentence for a person.
    """

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


class AdminConnectionError(AdminError):
    """The server could not be reached, timed out, or the TLS handshake failed."""


class AdminClient:
    """The management API of one ramod server.

    :param base_url: e.g. ``http://127.0.0.1:9001`` (``https`` supported; a path prefix is
        kept, for a server behind a reverse proxy).
    :param api_key: the admin key, sent as ``Authorization: Bearer <key>``.
    :param timeout: seconds to wait for the connection and for each read.
    :param verify: for https, whether to check the server's certificate.
    :param cafile: for https, a PEM file of CA certificates to trust instead of the system's.
    """

    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0, *,
                 verify: bool = True, cafile: str | None = None):
        self._endpoint = HttpEndpoint(base_url, timeout, verify=verify, cafile=cafile)
        parts = self._endpoint.parts
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.api_key, self.timeout = api_key, timeout

    # -- statistics --------------------------------------------------------

    def stats(self) -> dict:
        """Counts and total storage of the whole server."""
        return self._call("GET", "stats")

    # -- credentials -------------------------------------------------------

    def list_credentials(self, limit=None, cursor=None, user_name=None) -> dict:
        """One page of credentials, ordered by id: ``{"items", "next_cursor"}``."""
        return self._call("GET", "credentials",
                          query={"limit": limit, "cursor": cursor, "user_name": user_name})

    def iter_credentials(self, user_name=None, page_size=None) -> Iterator[dict]:
        """Every credential (of ``user_name`` if given), page after page."""
        return iter_items(self.list_credentials, user_name=user_name, limit=page_size)

    def create_credential(self, user_name=None, access_key=None, secret_key=None,
                          is_active=None, rate_limit=UNSET) -> dict:
        """Create an access key; the answer is the only one that carries its ``secret_key``.

        :param rate_limit: requests per second, ``None`` for unlimited; not sent if not given.
        """
        body = _given(user_name=user_name, access_key=access_key, secret_key=secret_key,
                      is_active=is_active)
        body.update(_given_or_null(rate_limit=rate_limit))
        return self._call("POST", "credentials", body=body)

    def get_credential(self, credential_id: int) -> dict:
        """A credential with ``bucket_count`` and ``buckets`` (its user's buckets)."""
        return self._call("GET", "credentials", credential_id)

    def update_credential(self, credential_id: int, *, user_name=UNSET, is_active=UNSET,
                          rate_limit=UNSET) -> dict:
        """Change only the fields given; ``rate_limit=None`` makes the key unlimited."""
        body = _given_or_null(user_name=user_name, is_active=is_active, rate_limit=rate_limit)
        return self._call("PATCH", "credentials", credential_id, body=body)

    def delete_credential(self, credential_id: int) -> None:
        """Delete a credential; its buckets pass to another key of the same user."""
        return self._call("DELETE", "credentials", credential_id)

    # -- buckets -----------------------------------------------------------

    def list_buckets(self, limit=None, cursor=None, prefix=None, owner_id=None) -> dict:
        """One page of buckets, ordered by name."""
        return self._call("GET", "buckets", query={
            "limit": limit, "cursor": cursor, "prefix": prefix, "owner_id": owner_id})

    def iter_buckets(self, prefix=None, owner_id=None, page_size=None) -> Iterator[dict]:
        """Every bucket (matching ``prefix`` and ``owner_id`` if given), page after page."""
        return iter_items(self.list_buckets, prefix=prefix, owner_id=owner_id, limit=page_size)

    def create_bucket(self, name: str, owner_id=None, region=None, quota_bytes=UNSET) -> dict:
        """Create a bucket owned by ``owner_id`` (default: root).

        :param quota_bytes: a byte quota, ``None`` for none; not sent if not given.
        """
        body = {"name": name, **_given(owner_id=owner_id, region=region)}
        body.update(_given_or_null(quota_bytes=quota_bytes))
        return self._call("POST", "buckets", body=body)

    def get_bucket(self, name: str, prefix=None, delimiter=None, limit=None, cursor=None) -> dict:
        """A bucket with ``objects``, one page of its object listing."""
        return self._call("GET", "buckets", name, query={
            "prefix": prefix, "delimiter": delimiter, "limit": limit, "cursor": cursor})

    def update_bucket(self, name: str, *, quota_bytes=UNSET, owner_id=UNSET) -> dict:
        """Change only the fields given; ``quota_bytes=None`` removes the quota."""
        body = _given_or_null(quota_bytes=quota_bytes, owner_id=owner_id)
        return self._call("PATCH", "buckets", name, body=body)

    def delete_bucket(self, name: str, force: bool = False) -> None:
        """Delete a bucket; ``force`` deletes its objects and uploads first."""
        return self._call("DELETE", "buckets", name,
                          query={"force": "true" if force else "false"})

    # -- objects -----------------------------------------------------------

    def list_objects(self, bucket: str, prefix=None, delimiter=None, limit=None,
                     cursor=None) -> dict:
        """One page: ``{"items", "common_prefixes", "next_cursor"}``, keys in byte order."""
        return self._call("GET", "buckets", bucket, "objects", query={
            "prefix": prefix, "delimiter": delimiter, "limit": limit, "cursor": cursor})

    def iter_objects(self, bucket: str, prefix=None, delimiter=None,
                     page_size=None) -> Iterator[dict]:
        """Every object summary, page after page (common prefixes: use ``iter_pages``)."""
        return iter_items(self.list_objects, bucket, prefix=prefix, delimiter=delimiter,
                          limit=page_size)

    def get_object(self, bucket: str, key: str) -> dict:
        """An object's metadata, checksums, tags and storage paths."""
        return self._call("GET", "buckets", bucket, "objects", key)

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete one object; a missing one is ``no_such_key``."""
        return self._call("DELETE", "buckets", bucket, "objects", key)

    def delete_objects(self, bucket: str, keys) -> dict:
        """Delete keys, 1000 per request: ``{"deleted": [key], "errors": [...]}``."""
        keys = list(keys)
        result = {"deleted": [], "errors": []}
        for start in range(0, max(len(keys), 1), MAX_DELETE_KEYS):
            page = self._call("POST", "buckets", bucket, "objects", "delete",
                              body={"keys": keys[start:start + MAX_DELETE_KEYS]})
            result["deleted"] += page.get("deleted", [])
            result["errors"] += page.get("errors", [])
        return result

    # -- multipart uploads -------------------------------------------------

    def list_uploads(self, bucket: str, prefix=None, limit=None, cursor=None) -> dict:
        """One page of the bucket's multipart uploads in progress, in key order."""
        return self._call("GET", "buckets", bucket, "multipart-uploads",
                          query={"prefix": prefix, "limit": limit, "cursor": cursor})

    def iter_uploads(self, bucket: str, prefix=None, page_size=None) -> Iterator[dict]:
        """Every multipart upload in progress in the bucket, page after page."""
        return iter_items(self.list_uploads, bucket, prefix=prefix, limit=page_size)

    def get_upload(self, bucket: str, upload_id: str) -> dict:
        """One multipart upload in progress."""
        return self._call("GET", "buckets", bucket, "multipart-uploads", upload_id)

    def abort_upload(self, bucket: str, upload_id: str) -> None:
        """Abort a multipart upload and free its parts."""
        return self._call("DELETE", "buckets", bucket, "multipart-uploads", upload_id)

    # -- presigned URLs ----------------------------------------------------

    def create_presigned_url(self, bucket_name: str, object_key: str, method: str = "GET",
                             expires_in: int = 3600, access_key=None) -> dict:
        """Sign a URL for one request on one object; the answer carries ``url``."""
        body = {"bucket_name": bucket_name, "object_key": object_key, "method": method,
                "expires_in": expires_in, **_given(access_key=access_key)}
        return self._call("POST", "presigned-urls", body=body)

    def list_presigned_urls(self, bucket_name=None, limit=None, cursor=None) -> dict:
        """One page of the active presigned URLs, newest first."""
        return self._call("GET", "presigned-urls",
                          query={"bucket_name": bucket_name, "limit": limit, "cursor": cursor})

    def iter_presigned_urls(self, bucket_name=None, page_size=None) -> Iterator[dict]:
        """Every active presigned URL, page after page."""
        return iter_items(self.list_presigned_urls, bucket_name=bucket_name, limit=page_size)

    def get_presigned_url(self, url_id: int) -> dict:
        """One presigned URL, also when expired or revoked."""
        return self._call("GET", "presigned-urls", url_id)

    def revoke_presigned_url(self, url_id: int) -> None:
        """Revoke a presigned URL; revoking twice is fine."""
        return self._call("DELETE", "presigned-urls", url_id)

    # -- transport ---------------------------------------------------------

    def _call(self, method: str, *segments, query: dict | None = None, body=None):
        """Send one request under ``/api/v1`` and return its decoded JSON (``None``: empty)."""
        path = self._endpoint.parts.path.rstrip("/") + API_PREFIX + "".join(
            "/" + quote(str(segment), safe="") for segment in segments)
        params = {name: _query_value(value) for name, value in (query or {}).items()
                  if value is not None}
        if params:
            path += "?" + urlencode(params)
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, reason, data = self._send(method, path, payload, headers)
        if not 200 <= status < 300:
            raise _api_error(status, reason, data)
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            raise AdminApiError(status, "invalid_response",
                                f"the server answered {status} with a body that is not JSON: "
                                f"{_preview(data)}") from None

    def _send(self, method, path, payload, headers) -> tuple[int, str, bytes]:
        """One request on a fresh connection: ``(status, reason, body)``."""
        conn = self._endpoint.connection()
        try:
            try:
                conn.connect()
            except (OSError, http.client.HTTPException) as exc:
                raise AdminConnectionError(
                    f"cannot connect to {self.base_url}: {failure_reason(exc, self.timeout)}") from exc
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                return response.status, response.reason, response.read()
            except (OSError, http.client.HTTPException) as exc:
                raise AdminConnectionError(
                    f"no answer from {self.base_url}: {failure_reason(exc, self.timeout)}") from exc
        finally:
            conn.close()


def iter_pages(list_page: Callable[..., dict], *args, **params) -> Iterator[dict]:
    """Call ``list_page(*args, cursor=..., **params)`` until ``next_cursor`` is null.

    :param list_page: one of the client's ``list_*`` methods.
    """
    cursor = params.pop("cursor", None)
    while True:
        page = list_page(*args, cursor=cursor, **params)
        yield page
        cursor = page.get("next_cursor")
        if not cursor:
            return


def iter_items(list_page: Callable[..., dict], *args, **params) -> Iterator[dict]:
    """The ``items`` of every page ``iter_pages`` fetches."""
    for page in iter_pages(list_page, *args, **params):
        yield from page.get("items", [])


def _given(**fields) -> dict:
    """The fields whose value is not ``None``."""
    return {name: value for name, value in fields.items() if value is not None}


def _given_or_null(**fields) -> dict:
    """The fields whose value is not ``UNSET`` (``None`` is sent as JSON null)."""
    return {name: value for name, value in fields.items() if value is not UNSET}


def _query_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _api_error(status: int, reason: str, data: bytes) -> AdminApiError:
    """The error a non-2xx answer stands for; a body that is not our JSON still gives one."""
    try:
        document = json.loads(data)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        message = document.get("message")
        return AdminApiError(status, document["error"],
                             message if isinstance(message, str) else document["error"])
    text = _preview(data) if data else ""
    message = f"HTTP {status} {reason}".rstrip() + (f": {text}" if text else "")
    return AdminApiError(status, f"http_{status}", message)


def _preview(data: bytes) -> str:
    text = " ".join(data.decode("utf-8", "replace").split())
    if len(text) > _ERROR_BODY_PREVIEW:
        text = text[:_ERROR_BODY_PREVIEW] + "…"
    return text
