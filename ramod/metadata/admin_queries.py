"""Queries of the management API (database thread): credentials, bucket settings,
uploads with their sizes, presigned URLs and server-wide figures."""

from peewee import IntegrityError, fn

from ramod.metadata import errors
from ramod.metadata.models import Bucket, Credential, Object, PresignedUrl, Upload, UploadPart
from ramod.metadata.records import (PresignedUrlInfo, Stats, UploadSummary, aware, naive,
                                    starts_with, utcnow)
from ramod.metadata.upload_queries import upload_info

#: "leave this field as it is" for partial updates (None is a value: "no limit")
UNSET = object()


def _presigned_info(row: PresignedUrl, access_key: str) -> PresignedUrlInfo:
    return PresignedUrlInfo(row.id, row.url, row.bucket_name, row.object_key, row.method,
                            access_key, aware(row.created_at), aware(row.expires_at),
                            row.revoked_at and aware(row.revoked_at))


def _summaries(rows: list, bucket) -> list:
    """UploadSummary of each Upload row: one grouped query for all their parts."""
    sizes = {}
    if rows:
        sizes = {upload_id: (n, total) for upload_id, n, total in UploadPart.select(
            UploadPart.upload, fn.COUNT(UploadPart.id), fn.COALESCE(fn.SUM(UploadPart.size), 0))
            .where(UploadPart.upload.in_([r.id for r in rows]))
            .group_by(UploadPart.upload).tuples()}
    return [UploadSummary(upload_info(r, bucket.name), *sizes.get(r.id, (0, 0))) for r in rows]


class AdminQueries:
    """Mixed into MetadataStore: needs ``_run``, ``_lock``, ``_db``, ``_credential_info``,
    ``_delete_one``, ``_drop_upload`` and the bucket helpers."""

    # -- credentials ----------------------------------------------------------------------

    def list_credentials(self, after_id: int, limit: int, user_name: str | None = None):
        """Credentials with an id above ``after_id``, in id order, at most ``limit``."""
        def q():
            query = Credential.select().where(Credential.id > after_id)
            if user_name is not None:
                query = query.where(Credential.user_name == user_name)
            return [self._credential_info(r) for r in query.order_by(Credential.id).limit(limit)]
        return self._run(q)

    def root_credential(self):
        def q():
            row = Credential.get_or_none(Credential.is_root == True)  # noqa: E712
            return None if row is None else self._credential_info(row)
        return self._run(q)

    def credential_by_id(self, credential_id: int):
        def q():
            row = Credential.get_or_none(Credential.id == credential_id)
            return None if row is None else self._credential_info(row)
        return self._run(q)

    def create_credential(self, user_name: str, access_key: str, secret_key: str,
                          is_active: bool = True, rate_limit: float | None = None):
        """A new credential; AccessKeyTaken if the access key is in use."""
        def q():
            if Credential.select().where(Credential.access_key == access_key).exists():
                raise errors.AccessKeyTaken(access_key)
            try:
                with self._db.atomic():
                    row = Credential.create(user_name=user_name, access_key=access_key,
                                            secret_key=secret_key, is_active=is_active,
                                            is_root=False, rate_limit=rate_limit,
                                            created_at=naive(utcnow()))
            except IntegrityError:
                raise errors.AccessKeyTaken(access_key)
            return self._credential_info(row)
        return self._run(q)

    def update_credential(self, credential_id: int, user_name=UNSET, is_active=UNSET,
                          rate_limit=UNSET):
        """Change the given fields; the root credential can't be renamed or disabled."""
        def q():
            row = self._lock(Credential.select().where(Credential.id == credential_id)).first()
            if row is None:
                raise errors.CredentialMissing(credential_id)
            if row.is_root and ((user_name is not UNSET and user_name != row.user_name)
                                or is_active is False):
                raise errors.RootProtected()
            if user_name is not UNSET:
                row.user_name = user_name
            if is_active is not UNSET:
                row.is_active = is_active
            if rate_limit is not UNSET:
                row.rate_limit = rate_limit
            row.save()
            return self._credential_info(row)
        return self._run(q)

    def delete_credential(self, credential_id: int):
        """Delete a key; the buckets it created pass to another key of its user.

        :raises RootProtected: the root credential.
        :raises CredentialInUse: the user's last key while the user owns buckets.
        """
        def q():
            row = self._lock(Credential.select().where(Credential.id == credential_id)).first()
            if row is None:
                raise errors.CredentialMissing(credential_id)
            if row.is_root:
                raise errors.RootProtected()
            owned = Bucket.select().where(Bucket.owner == row.id).count()
            if owned:
                heir = (Credential.select().where((Credential.user_name == row.user_name)
                                                  & (Credential.id != row.id))
                        .order_by(Credential.is_active.desc(), Credential.id).first())
                if heir is None:
                    raise errors.CredentialInUse(owned)
                Bucket.update(owner=heir.id).where(Bucket.owner == row.id).execute()
            row.delete_instance()
        return self._run(q)

    # -- buckets --------------------------------------------------------------------------

    def list_buckets_of(self, owner_id: int | None, prefix: str, after: str, limit: int):
        """Buckets by name after ``after``; with ``owner_id``, those of that key's user."""
        def q():
            if owner_id is None:
                return None
            owner = Credential.get_or_none(Credential.id == owner_id)
            if owner is None:
                raise errors.CredentialMissing(owner_id)
            return owner.user_name
        d = self._run(q)
        d.addCallback(lambda user: self.list_buckets(user, prefix, after, limit))
        return d

    def update_bucket(self, name: str, quota_bytes=UNSET, owner_id=UNSET):
        """Set the quota (None: none) and/or the owning key; return the BucketInfo."""
        def q():
            row = self._lock(Bucket.select().where(Bucket.name == name)).first()
            if row is None:
                raise errors.BucketMissing(name)
            if owner_id is not UNSET:
                if Credential.get_or_none(Credential.id == owner_id) is None:
                    raise errors.CredentialMissing(owner_id)
                row.owner = owner_id
            if quota_bytes is not UNSET:
                row.quota_bytes = quota_bytes
            row.save()
        d = self._run(q)
        d.addCallback(lambda _: self.get_bucket(name))
        return d

    def empty_bucket_batch(self, bucket, limit: int = 500):
        """Delete up to ``limit`` objects and all uploads of the bucket (one transaction);
        return (objects deleted, [garbage blob ids])."""
        def q():
            self._check_bucket(bucket)
            garbage = self._drop_bucket_uploads(bucket.id)
            keys = [r.key for r in Object.select(Object.key).where(Object.bucket == bucket.id)
                    .order_by(Object.key).limit(limit)]
            for key in keys:
                garbage += self._delete_one(bucket, key)
            return len(keys), garbage
        return self._run(q)

    # -- objects --------------------------------------------------------------------------

    def delete_keys(self, bucket, keys: list):
        """Delete each key that exists; return ([deleted keys], [missing keys], garbage)."""
        def q():
            self._check_bucket(bucket)
            deleted, missing, garbage = [], [], []
            for key in keys:
                if self._select_object(bucket, key, False) is None:
                    missing.append(key)
                else:
                    garbage += self._delete_one(bucket, key)
                    deleted.append(key)
            return deleted, missing, garbage
        return self._run(q)

    # -- multipart uploads ----------------------------------------------------------------

    def upload_summaries(self, bucket, prefix: str, after: tuple | None, limit: int):
        """Uploads in progress in (key, id) order after ``after`` = (key, id), with their
        part counts and sizes."""
        def q():
            query = Upload.select().where((Upload.bucket == bucket.id)
                                          & Upload.completed_at.is_null())
            if prefix:
                query = query.where(starts_with(Upload.key, prefix))
            if after is not None:
                query = query.where((Upload.key > after[0])
                                    | ((Upload.key == after[0]) & (Upload.id > after[1])))
            return _summaries(list(query.order_by(Upload.key, Upload.id).limit(limit)), bucket)
        return self._run(q)

    def upload_by_id(self, bucket, upload_id: str):
        """The UploadSummary of an upload in progress, or None."""
        def q():
            rows = list(Upload.select().where(
                (Upload.upload_id == upload_id) & (Upload.bucket == bucket.id)
                & Upload.completed_at.is_null()))
            return _summaries(rows, bucket)[0] if rows else None
        return self._run(q)

    # -- presigned URLs -------------------------------------------------------------------

    def add_presigned_url(self, credential_id: int, signature_hash: str, url: str,
                          bucket_name: str, object_key: str, method: str, created_at,
                          expires_at):
        def q():
            row = PresignedUrl.create(credential=credential_id, signature_hash=signature_hash,
                                      url=url, bucket_name=bucket_name, object_key=object_key,
                                      method=method, created_at=naive(created_at),
                                      expires_at=naive(expires_at))
            return _presigned_info(row, row.credential.access_key)
        return self._run(q)

    def list_presigned_urls(self, now, before_id: int | None, limit: int,
                            bucket_name: str | None = None):
        """Active (unexpired, unrevoked) URLs, newest first, with an id below ``before_id``."""
        def q():
            query = (PresignedUrl.select(PresignedUrl, Credential).join(Credential)
                     .where(PresignedUrl.revoked_at.is_null()
                            & (PresignedUrl.expires_at > naive(now))))
            if before_id is not None:
                query = query.where(PresignedUrl.id < before_id)
            if bucket_name is not None:
                query = query.where(PresignedUrl.bucket_name == bucket_name)
            query = query.order_by(PresignedUrl.id.desc()).limit(limit)
            return [_presigned_info(r, r.credential.access_key) for r in query]
        return self._run(q)

    def get_presigned_url(self, url_id: int):
        def q():
            row = (PresignedUrl.select(PresignedUrl, Credential).join(Credential)
                   .where(PresignedUrl.id == url_id).first())
            return None if row is None else _presigned_info(row, row.credential.access_key)
        return self._run(q)

    def revoke_presigned_url(self, url_id: int):
        """Revoke (again is fine); PresignedUrlMissing if there is no such URL."""
        def q():
            row = PresignedUrl.get_or_none(PresignedUrl.id == url_id)
            if row is None:
                raise errors.PresignedUrlMissing(url_id)
            if row.revoked_at is None:
                row.revoked_at = naive(utcnow())
                row.save()
        return self._run(q)

    def presigned_url_revoked(self, signature_hash: str):
        """True if a URL with this signature was made here and revoked since."""
        def q():
            return self._sql.one("presigned_revoked", lambda h: PresignedUrl.select(
                PresignedUrl.revoked_at).where(PresignedUrl.signature_hash == h),
                (signature_hash,)) not in (None, (None,))
        return self._run(q)

    def forget_expired_presigned_urls(self, before):
        """Drop URLs that expired before ``before`` (nobody can use them any more)."""
        def q():
            return PresignedUrl.delete().where(PresignedUrl.expires_at < naive(before)).execute()
        return self._run(q)

    # -- figures ----------------------------------------------------------------------------

    def stats(self, now):
        def q():
            totals = Bucket.select(fn.COUNT(Bucket.id), fn.COALESCE(fn.SUM(Bucket.object_count), 0),
                                   fn.COALESCE(fn.SUM(Bucket.object_bytes + Bucket.upload_bytes),
                                               0)).tuples().first()
            return Stats(
                credentials=Credential.select().count(), buckets=totals[0], objects=int(totals[1]),
                total_storage=int(totals[2]),
                active_multipart_uploads=Upload.select().where(
                    Upload.completed_at.is_null()).count(),
                active_presigned_urls=PresignedUrl.select().where(
                    PresignedUrl.revoked_at.is_null()
                    & (PresignedUrl.expires_at > naive(now))).count())
        return self._run(q)
