"""The S3 operations, independent of twisted.web: one module per family, plus errors."""
