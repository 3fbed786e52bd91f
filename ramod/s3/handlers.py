"""Operation -> handler: the one place that says which function answers which S3 operation.

Rows are the operations of ``ramod.protocol.operations``; every handler is
``async handler(app, ctx, body) -> Response`` and is named after its operation
(``handle_complete_multipart_upload`` answers CompleteMultipartUpload).
"""

from ramod.protocol import operations as ops
from ramod.s3 import (acl_and_tagging, bucket_config, buckets, copy, delete_objects, list_objects,
                      multipart, objects)

HANDLERS = {
    # the service and buckets
    ops.LIST_BUCKETS: buckets.handle_list_buckets,
    ops.CREATE_BUCKET: buckets.handle_create_bucket,
    ops.HEAD_BUCKET: buckets.handle_head_bucket,
    ops.DELETE_BUCKET: buckets.handle_delete_bucket,
    ops.GET_BUCKET_LOCATION: buckets.handle_get_bucket_location,
    # listings and batch delete
    ops.LIST_OBJECTS: list_objects.handle_list_objects,
    ops.LIST_OBJECTS_V2: list_objects.handle_list_objects_v2,
    ops.LIST_OBJECT_VERSIONS: list_objects.handle_list_object_versions,
    ops.DELETE_OBJECTS: delete_objects.handle_delete_objects,
    # objects
    ops.PUT_OBJECT: objects.handle_put_object,
    ops.GET_OBJECT: objects.handle_get_object,
    ops.HEAD_OBJECT: objects.handle_head_object,
    ops.DELETE_OBJECT: objects.handle_delete_object,
    ops.COPY_OBJECT: copy.handle_copy_object,
    # multipart uploads
    ops.CREATE_MULTIPART_UPLOAD: multipart.handle_create_multipart_upload,
    ops.UPLOAD_PART: multipart.handle_upload_part,
    ops.UPLOAD_PART_COPY: multipart.handle_upload_part_copy,
    ops.COMPLETE_MULTIPART_UPLOAD: multipart.handle_complete_multipart_upload,
    ops.ABORT_MULTIPART_UPLOAD: multipart.handle_abort_multipart_upload,
    ops.LIST_PARTS: multipart.handle_list_parts,
    ops.LIST_MULTIPART_UPLOADS: multipart.handle_list_multipart_uploads,
    # ACLs and tags
    ops.GET_BUCKET_ACL: acl_and_tagging.handle_get_bucket_acl,
    ops.PUT_BUCKET_ACL: acl_and_tagging.handle_put_bucket_acl,
    ops.GET_OBJECT_ACL: acl_and_tagging.handle_get_object_acl,
    ops.PUT_OBJECT_ACL: acl_and_tagging.handle_put_object_acl,
    ops.GET_BUCKET_TAGGING: acl_and_tagging.handle_get_bucket_tagging,
    ops.PUT_BUCKET_TAGGING: acl_and_tagging.handle_put_bucket_tagging,
    ops.DELETE_BUCKET_TAGGING: acl_and_tagging.handle_delete_bucket_tagging,
    ops.GET_OBJECT_TAGGING: acl_and_tagging.handle_get_object_tagging,
    ops.PUT_OBJECT_TAGGING: acl_and_tagging.handle_put_object_tagging,
    ops.DELETE_OBJECT_TAGGING: acl_and_tagging.handle_delete_object_tagging,
}

# bucket configurations Ramo does not keep: S3's answer for a bucket that has none
HANDLERS.update((operation, bucket_config.handle_bucket_configuration)
                for rows in ops.CONFIGURATIONS.values() for operation in rows.values())
