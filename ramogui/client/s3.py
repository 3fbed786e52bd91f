"""A small S3 client for the app's data path: buckets, object bodies and multipart uploads.

Standard library HTTP, SigV4 header signing from ``ramoclient.sigv4`` and the hardened XML
reading of ``ramoclient.s3xml``.  Each call opens its own connection, so one ``S3Client``
serves every worker thread.  Bodies are sent in slices so that a transfer
reports progress and notices a cancel between two slices.

Errors: ``ConnectionFailed`` (unreachable, TLS), ``AccessRefused`` (unknown or disabled key,
wrong secret) and ``S3Error`` (any other S3 error document), all from
``ramogui.client.errors``.
"""

import base64
import datetime
import hashlib
import http.client
import threading
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ramoclient.endpoint import HttpEndpoint, failure_reason
from ramoclient.s3xml import MalformedXML, build, children, find_text, parse_xml
from ramoclient.sigv4 import EMPTY_SHA256, canonical_query, object_path, sign_headers
from ramogui.client.errors import AccessRefused, Cancelled, ConnectionFailed, S3Error

SEND_SLICE = 256 * 1024
READ_SLICE = 1024 * 1024
_REFUSED_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"}

Progress = Callable[[int], None]          # called with the bytes moved since the last call


@dataclass(frozen=True)
class BucketEntry:
    name: str
    created: str


@dataclass(frozen=True)
class ObjectHead:
    size: int
    etag: str
    content_type: str
    last_modified: str
    metadata: dict


class S3Client:
    """S3 on one endpoint with one key pair.

    :param endpoint: ``http(s)://host:port``; requests are path-style (``/bucket/key``).
    :param timeout: seconds to wait for the connection and for each read.
    :param verify: for https, whether to check the server's certificate.
    :param cafile: for https, a PEM file of CA certificates to trust instead of the system's.
    """

    def __init__(self, endpoint: str, access_key: str, secret_key: str, *,
                 region: str = "us-east-1", timeout: float = 30.0, verify: bool = True,
                 cafile: str | None = None):
        self._http = HttpEndpoint(endpoint, timeout, verify=verify, cafile=cafile)
        self.endpoint = f"{self._http.parts.scheme}://{self._http.parts.netloc}"
        self.access_key, self.region, self.timeout = access_key, region, timeout
        self._secret_key = secret_key

    # -- buckets -----------------------------------------------------------

    def list_buckets(self) -> list[BucketEntry]:
        """The buckets this key's user owns."""
        root = self._xml(self.request("GET"))
        return [BucketEntry(find_text(item, "Name", ""), find_text(item, "CreationDate", ""))
                for holder in children(root, "Buckets") for item in children(holder, "Bucket")]

    def create_bucket(self, bucket: str) -> None:
        """Create ``bucket``, owned by this key's user."""
        body = b""
        if self.region != "us-east-1":
            body = build("CreateBucketConfiguration", {"LocationConstraint": self.region})
        self.request("PUT", bucket, body=body)

    # -- objects -----------------------------------------------------------

    def head_object(self, bucket: str, key: str) -> ObjectHead:
        response = self.request("HEAD", bucket, key)
        return _object_head(response.headers)

    def put_object(self, bucket: str, key: str, data: bytes, *, content_type: str | None = None,
                   on_progress: Progress | None = None,
                   cancel: threading.Event | None = None) -> str:
        """Store ``data`` as ``bucket/key`` (signed SHA-256 and Content-MD5); the ETag."""
        headers = {"content-md5": _md5_base64(data)}
        if content_type:
            headers["content-type"] = content_type
        response = self.request("PUT", bucket, key, headers=headers, body=data,
                                on_progress=on_progress, cancel=cancel)
        return response.headers.get("etag", "")

    def open_object(self, bucket: str, key: str, *, byte_range: tuple[int, int] | None = None,
                    if_match: str | None = None) -> "ObjectReader":
        """Start a GET; read the body with the returned reader, then close it."""
        headers = {}
        if byte_range is not None:
            headers["range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        if if_match:
            headers["if-match"] = if_match
        conn, response = self._exchange("GET", bucket, key, (), headers, b"", None, None)
        return ObjectReader(conn, response)

    # -- multipart uploads -------------------------------------------------

    def create_multipart_upload(self, bucket: str, key: str,
                                content_type: str | None = None) -> str:
        """Start a multipart upload; its upload id."""
        headers = {"content-type": content_type} if content_type else {}
        root = self._xml(self.request("POST", bucket, key, query=[("uploads", "")],
                                      headers=headers))
        upload_id = find_text(root, "UploadId")
        if not upload_id:
            raise S3Error(200, "InvalidResponse", "The server answered without an upload id.")
        return upload_id

    def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int, data: bytes,
                    *, on_progress: Progress | None = None,
                    cancel: threading.Event | None = None) -> str:
        """Upload one part (signed SHA-256 and Content-MD5); its ETag."""
        response = self.request(
            "PUT", bucket, key, query=[("partNumber", str(part_number)), ("uploadId", upload_id)],
            headers={"content-md5": _md5_base64(data)}, body=data, on_progress=on_progress,
            cancel=cancel)
        return response.headers.get("etag", "")

    def complete_multipart_upload(self, bucket: str, key: str, upload_id: str,
                                  parts: Iterable[tuple[int, str]]) -> str:
        """Join the parts ``(number, etag)`` into the object; its ETag."""
        body = build("CompleteMultipartUpload",
                     [("Part", {"PartNumber": number, "ETag": etag}) for number, etag in parts])
        root = self._xml(self.request("POST", bucket, key, query=[("uploadId", upload_id)],
                                      body=body))
        if not root.tag.endswith("CompleteMultipartUploadResult"):
            raise S3Error(200, find_text(root, "Code", "InternalError"),
                          find_text(root, "Message", "The upload could not be completed."))
        return find_text(root, "ETag", "")

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        self.request("DELETE", bucket, key, query=[("uploadId", upload_id)])

    # -- transport ---------------------------------------------------------

    def request(self, method: str, bucket: str | None = None, key: str | None = None, *,
                query: list[tuple[str, str]] = (), headers: dict | None = None,
                body: bytes = b"", on_progress: Progress | None = None,
                cancel: threading.Event | None = None) -> "Response":
        """Send one signed request and read the whole answer; S3 errors raise."""
        conn, response = self._exchange(method, bucket, key, query, headers or {}, body,
                                        on_progress, cancel)
        try:
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectionFailed(f"The S3 endpoint {self.endpoint} broke off its answer: "
                                   f"{failure_reason(exc, self.timeout)}") from exc
        finally:
            conn.close()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def _exchange(self, method, bucket, key, query, headers, body, on_progress, cancel):
        """Send a request; the connection and a successful response whose body is unread."""
        path = object_path(bucket, key)
        query_text = canonical_query(query)
        headers = self._signed_headers(method, path, query_text, headers, body)
        target = path + ("?" + query_text if query_text else "")
        conn = self._http.connection()
        try:
            try:
                conn.connect()
            except (OSError, http.client.HTTPException) as exc:
                raise ConnectionFailed(f"Cannot connect to the S3 endpoint {self.endpoint}: "
                                       f"{failure_reason(exc, self.timeout)}.") from exc
            try:
                conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for name, value in headers.items():
                    conn.putheader(name, value)
                conn.endheaders()
                _send_body(conn, body, on_progress, cancel)
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                if cancel is not None and cancel.is_set():
                    raise Cancelled() from exc
                raise ConnectionFailed(f"No answer from the S3 endpoint {self.endpoint}: "
                                       f"{failure_reason(exc, self.timeout)}.") from exc
            if response.status >= 300:
                raise _error(response, self.access_key)
            return conn, response
        except BaseException:
            conn.close()
            raise

    def _signed_headers(self, method: str, path: str, query: str, extra: dict,
                        body: bytes) -> dict:
        payload = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        headers = sign_headers(method, path, query, {"host": self._http.parts.netloc, **extra},
                               payload, access_key=self.access_key, secret_key=self._secret_key,
                               region=self.region,
                               now=datetime.datetime.now(datetime.timezone.utc))
        headers["content-length"] = str(len(body))
        return headers

    def _xml(self, response: "Response"):
        try:
            return parse_xml(response.body)
        except MalformedXML as exc:
            raise S3Error(response.status, "InvalidResponse",
                          f"The S3 endpoint answered with a document that is not S3 XML: {exc}"
                          ) from None


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes


class ObjectReader:
    """The body of a GET, read slice by slice; ``head`` has its size, ETag and type."""

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self._conn, self._response = conn, response
        self.head = _object_head({k.lower(): v for k, v in response.getheaders()})

    def slices(self, size: int = READ_SLICE) -> Iterator[bytes]:
        try:
            while True:
                data = self._response.read(size)
                if not data:
                    return
                yield data
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectionFailed(f"The download broke off: {failure_reason(exc, 0)}.") from exc

    def close(self) -> None:
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _send_body(conn, body: bytes, on_progress: Progress | None,
               cancel: threading.Event | None) -> None:
    view = memoryview(body)
    for start in range(0, len(view), SEND_SLICE):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        piece = view[start:start + SEND_SLICE]
        conn.send(piece)
        if on_progress is not None:
            on_progress(len(piece))


def _error(response: http.client.HTTPResponse, access_key: str) -> Exception:
    """The exception an S3 error answer stands for."""
    data = response.read(1 << 20) if response.status != 304 else b""
    code, message, request_id = f"HTTP{response.status}", "", response.getheader(
        "x-amz-request-id", "")
    if data.strip():
        try:
            root = parse_xml(data)
            code = find_text(root, "Code") or code
            message = find_text(root, "Message") or ""
        except MalformedXML:
            message = " ".join(data[:200].decode("utf-8", "replace").split())
    if not message:
        message = f"The S3 endpoint answered {response.status} {response.reason}."
    if code == "InvalidAccessKeyId":
        return AccessRefused(f"S3 refused the access key {access_key}: it is unknown or "
                             f"disabled ({message})")
    if code == "SignatureDoesNotMatch":
        return AccessRefused(f"S3 refused the signature: the secret key does not belong to "
                             f"the access key {access_key}.")
    return S3Error(response.status, code, message, request_id)


def _object_head(headers: dict) -> ObjectHead:
    size = headers.get("content-length", "0")
    if "content-range" in headers:
        size = headers["content-range"].rpartition("/")[2]
    return ObjectHead(size=int(size) if size.isdigit() else 0,
                      etag=headers.get("etag", ""),
                      content_type=headers.get("content-type", ""),
                      last_modified=headers.get("last-modified", ""),
                      metadata={name[len("x-amz-meta-"):]: value
                                for name, value in headers.items()
                                if name.startswith("x-amz-meta-")})


def _md5_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()
