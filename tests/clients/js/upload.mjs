// A multipart upload with @aws-sdk/lib-storage: FILE streamed in odd-sized pieces (so its length
// is unknown to the SDK), 5 MiB parts, 4 parts in flight; then HeadObject and a SHA-256 of
// GetObject. Usage: node upload.mjs BUCKET KEY FILE
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { makeClient, runSteps } from "./common.mjs";

const [Bucket, Key, file] = process.argv.slice(2);
const client = makeClient();

async function* pieces() {
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 + 7 })) yield chunk;
}

await runSteps({
  createBucket: async () => (await client.send(new CreateBucketCommand({ Bucket }))).$metadata.httpStatusCode,
  upload: async () => {
    const upload = new Upload({
      client, params: { Bucket, Key, Body: Readable.from(pieces()), ContentType: "application/x-test" },
      partSize: 5 * 1024 * 1024, queueSize: 4, leavePartsOnError: false,
    });
    const done = await upload.done();
    return { ETag: done.ETag, ChecksumCRC32: done.ChecksumCRC32 ?? null };
  },
  headObject: async () => {
    const head = await client.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: "ENABLED" }));
    return { ETag: head.ETag, ContentLength: head.ContentLength, ContentType: head.ContentType,
             ChecksumCRC32: head.ChecksumCRC32 ?? null, ChecksumType: head.ChecksumType ?? null };
  },
  getObject: async () => {
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    const hash = createHash("sha256");
    let length = 0;
    for await (const chunk of got.Body) { hash.update(chunk); length += chunk.length; }
    return { sha256: hash.digest("hex"), length, ETag: got.ETag };
  },
});
