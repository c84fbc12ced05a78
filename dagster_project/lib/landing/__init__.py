"""Landing: contracts, readers (CSV, NDJSON), the manifest and commit, the file loader."""
