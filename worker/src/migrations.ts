/**
 * Versioned schema migrations, applied in order at start under an advisory lock (so several
 * tasks starting at once apply each migration exactly once). Never edit a released migration:
 * add the next number.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "documents and rejected objects",
    sql: `
      CREATE TABLE documents (
        id             bigserial PRIMARY KEY,
        bucket         text        NOT NULL,
        object_key     text        NOT NULL,
        version_id     text,
        etag           text,
        -- The object's identity within its key: the version id, or the ETag when the bucket
        -- is unversioned. A redelivered notification hits the unique index and adds no row.
        object_version text        NOT NULL,
        size_bytes     bigint      NOT NULL,
        content_type   text,
        sha256         char(64)    NOT NULL,
        content        text        NOT NULL,
        event_time     timestamptz,
        ingested_at    timestamptz NOT NULL DEFAULT now(),
        message_id     text        NOT NULL,
        CONSTRAINT documents_object_identity UNIQUE (bucket, object_key, object_version)
      );
      CREATE TABLE rejected_objects (
        id             bigserial PRIMARY KEY,
        bucket         text        NOT NULL,
        object_key     text        NOT NULL,
        version_id     text,
        etag           text,
        object_version text        NOT NULL,
        size_bytes     bigint,
        content_type   text,
        reason         text        NOT NULL CHECK (reason IN ('too_large', 'not_utf8', 'nul_byte')),
        detail         text        NOT NULL,
        event_time     timestamptz,
        rejected_at    timestamptz NOT NULL DEFAULT now(),
        message_id     text        NOT NULL,
        CONSTRAINT rejected_objects_object_identity UNIQUE (bucket, object_key, object_version)
      );`,
  },
];

/** Arbitrary constant naming the advisory lock that serialises migrations across tasks. */
export const MIGRATION_LOCK_ID = 7_340_001;
