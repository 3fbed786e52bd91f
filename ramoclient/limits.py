"""Numbers and names the server, ramoctl and ramogui must agree on, defined once."""

#: the longest object key S3 accepts, in bytes of UTF-8
MAX_KEY_BYTES = 1024

#: the longest lifetime of a SigV4 presigned URL, in seconds (7 days)
MAX_PRESIGN_SECONDS = 7 * 24 * 3600

#: the file in the data directory that holds the management API key
ADMIN_KEY_FILE = "admin-api-key"
