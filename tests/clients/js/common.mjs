// Shared by the scripts that tests/integration/test_sdk_js.py runs: the client, a log of the
// requests it sends, and one JSON document on stdout (exit status 1 when a step failed).
import { S3Client } from "@aws-sdk/client-s3";

// Request headers worth reporting: how the body is signed, encoded and checksummed.
const NOTABLE = /^(x-amz-checksum-|x-amz-sdk-checksum-|x-amz-content-sha256$|x-amz-trailer$|x-amz-decoded-content-length$|content-encoding$|content-md5$|expect$|transfer-encoding$|x-amz-copy-source|x-amz-metadata-directive$)/i;

export const requests = [];
let inFlight = 0;
export let maxInFlight = { UploadPartCommand: 0 };

export function makeClient() {
  const env = process.env;
  const config = {
    endpoint: env.RAMO_ENDPOINT,
    region: env.RAMO_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    maxAttempts: 1,
  };
  if (env.RAMO_CHECKSUMS === "WHEN_REQUIRED") {
    config.requestChecksumCalculation = "WHEN_REQUIRED";
    config.responseChecksumValidation = "WHEN_REQUIRED";
  }
  const client = new S3Client(config);
  // The deserialize step is the innermost: it sees the request exactly as it is sent.
  client.middlewareStack.add((next, context) => async (args) => {
    const { method, path, query, headers } = args.request;
    const entry = {
      command: context.commandName, method, path, query: Object.keys(query || {}).sort(),
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => NOTABLE.test(name))),
    };
    requests.push(entry);
    const counted = context.commandName === "UploadPartCommand";
    if (counted) maxInFlight.UploadPartCommand = Math.max(maxInFlight.UploadPartCommand, ++inFlight);
    try {
      const result = await next(args);
      entry.status = result.response.statusCode;
      return result;
    } catch (error) {
      entry.status = error.$metadata?.httpStatusCode;
      throw error;
    } finally {
      if (counted) inFlight--;
    }
  }, { step: "deserialize", name: "ramoRequestLog", priority: "low" });
  return client;
}

// Runs ``steps`` ({name: async () => value}) in order; prints {results, requests} or the
// failing step with its S3 error code, HTTP status and message.
export async function runSteps(steps) {
  const results = {};
  let current = null;
  try {
    for (const [name, step] of Object.entries(steps)) {
      current = name;
      results[name] = await step(results);
    }
    print({ ok: true, results, requests, maxInFlight });
  } catch (error) {
    print({
      ok: false, step: current, results, requests, maxInFlight,
      error: {
        name: error.name, code: error.Code || error.name, message: error.message,
        status: error.$metadata?.httpStatusCode,
      },
    });
    process.exitCode = 1;
  }
}

function print(document) {
  process.stdout.write(JSON.stringify(document) + "\n");
}

export async function bodyBytes(response) {
  return Buffer.from(await response.Body.transformToByteArray());
}
