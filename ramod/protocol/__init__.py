"""The S3 protocol, pure: requests, routing, errors, XML, dates, ranges, conditions,
checksums and payload digests.  No Twisted, no database, no files."""
