// Bucket and object calls of @aws-sdk/client-s3: create, put/get, paginated ListObjectsV2,
// CopyObject, DeleteObjects, delete the bucket. Usage: node objects.mjs BUCKET
import { createHash } from "node:crypto";
import {
  CopyObjectCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand,
  GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { bodyBytes, makeClient, runSteps } from "./common.mjs";

const Bucket = process.argv[2];
const client = makeClient();
const KEY = "hello/wörld & friends.txt";
const BODY = "Hello from the AWS SDK for JavaScript v3\n".repeat(100);
const LISTED = Array.from({ length: 25 }, (_, i) => `list/${i % 3}/obj-${String(i).padStart(2, "0")}`);
const sha256 = (data) => createHash("sha256").update(data).digest("hex");

await runSteps({
  createBucket: async () => (await client.send(new CreateBucketCommand({ Bucket }))).$metadata.httpStatusCode,
  putObject: async () => {
    const put = await client.send(new PutObjectCommand({
      Bucket, Key: KEY, Body: BODY, ContentType: "text/plain", Metadata: { origin: "sdk-js" },
    }));
    return { ETag: put.ETag, ChecksumCRC32: put.ChecksumCRC32 ?? null };
  },
  getObject: async () => {
    const got = await client.send(new GetObjectCommand({ Bucket, Key: KEY }));
    const body = await bodyBytes(got);
    return { sha256: sha256(body), length: body.length, ETag: got.ETag, ContentType: got.ContentType,
             Metadata: got.Metadata };
  },
  headWithChecksum: async () => {
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: KEY, ChecksumMode: "ENABLED" }));
    return { ContentLength: head.ContentLength, ChecksumCRC32: head.ChecksumCRC32 ?? null };
  },
  putMany: async () => {
    await Promise.all(LISTED.map((Key) => client.send(new PutObjectCommand({ Bucket, Key, Body: Key }))));
    return LISTED.length;
  },
  listPaginated: async () => {
    const pages = [];
    for await (const page of paginateListObjectsV2({ client, pageSize: 10 }, { Bucket, Prefix: "list/" })) {
      pages.push({ keys: (page.Contents ?? []).map((o) => o.Key), KeyCount: page.KeyCount,
                   IsTruncated: page.IsTruncated ?? false });
    }
    return pages;
  },
  listDelimited: async () => {
    const page = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: "/" }));
    return { keys: (page.Contents ?? []).map((o) => o.Key),
             prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix) };
  },
  copyObject: async () => {
    const copy = await client.send(new CopyObjectCommand({
      Bucket, Key: "copies/copy of wörld.txt", CopySource: `${Bucket}/${encodeURIComponent(KEY)}`,
    }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key: "copies/copy of wörld.txt" }));
    const body = await bodyBytes(got);
    return { ETag: copy.CopyObjectResult?.ETag, sha256: sha256(body), Metadata: got.Metadata };
  },
  deleteObjects: async () => {
    const Objects = [KEY, "copies/copy of wörld.txt", ...LISTED].map((Key) => ({ Key }));
    const deleted = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects } }));
    return { deleted: (deleted.Deleted ?? []).map((d) => d.Key).sort(), errors: deleted.Errors ?? [] };
  },
  listAfterDelete: async () => (await client.send(new ListObjectsV2Command({ Bucket }))).KeyCount,
  deleteBucket: async () => (await client.send(new DeleteBucketCommand({ Bucket }))).$metadata.httpStatusCode,
});
