"""The twisted.web front of the S3 API: requests, bodies, responses and pure HTTP helpers."""
