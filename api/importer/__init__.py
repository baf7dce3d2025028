"""Bulk import of MongoDB dumps/exports and JSON mock data into Campus tables.

The pipeline, one module per job:

    sources    find files, read documents lazily with their positions
    ids        ObjectId/key → deterministic uuid5; DBRefs; created-at from an ObjectId
    values     BSON/Extended-JSON values → what COPY wants, or a RejectReason with a path
    mapping    the declarative mapping file (TOML or JSON) → Mapping
    catalog    check a Mapping against pg_catalog (tables, columns, types, keys)
    transform  one document → rows for each target table (pure; runs in worker processes)
    copyrows   rows → COPY text lines (in the workers)
    parallel   decode + transform in chunks on N processes, in source order, bounded memory
    quarantine rejected documents as JSON lines, counted per collection and reason
    loader     COPY (straight in on a first import, else into staging), insert/update in dependency
               order, isolate refused documents
    precheck   foreign keys and unique indexes checked in bulk for a refused batch
    verify     counts, id checksums, orphan references, sampled field-by-field comparison
    commands   `campus import json|mongo|verify`
"""
