/**
 * The per-file work of the benchmark's other contenders, the same as the worker's: GetObject by
 * version, the whole body read, sha256, strict UTF-8 (and no U+0000), one multi-row insert per
 * batch into the worker's `documents` table with the worker's conflict rule. What they do not do
 * (docs/performance.md lists it): the worker's size cap while streaming, its rejection rows, its
 * heartbeat, metrics lines and per-message failure isolation.
 */
import { createHash } from "node:crypto";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Message } from "@aws-sdk/client-sqs";
import type { Pool } from "pg";

export interface FileRow {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | null;
  readonly etag: string | null;
  readonly size: number;
  readonly contentType: string | null;
  readonly sha256: string;
  readonly content: string;
  readonly eventTime: string | null;
  readonly messageId: string;
}

interface S3Record {
  eventName?: string;
  eventTime?: string;
  s3?: { bucket?: { name?: string }; object?: { key?: string; versionId?: string; eTag?: string } };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The files a notification names, each read and checked. */
export async function readFiles(s3: S3Client, message: Message): Promise<FileRow[]> {
  const records = (JSON.parse(message.Body ?? "{}") as { Records?: S3Record[] }).Records ?? [];
  return Promise.all(
    records
      .filter((r) => r.eventName?.startsWith("ObjectCreated:"))
      .map(async (record) => {
        const bucket = record.s3!.bucket!.name!;
        const key = decodeURIComponent(record.s3!.object!.key!.replace(/\+/g, " "));
        const versionId = record.s3!.object!.versionId ?? null;
        const object = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId ?? undefined }),
        );
        const bytes = await object.Body!.transformToByteArray();
        const content = utf8.decode(bytes);
        if (content.includes("\u0000")) throw new Error(`${key} contains U+0000`);
        return {
          bucket,
          key,
          versionId,
          etag: object.ETag ?? null,
          size: bytes.length,
          contentType: object.ContentType ?? null,
          sha256: createHash("sha256").update(bytes).digest("hex"),
          content,
          eventTime: record.eventTime ?? null,
          messageId: message.MessageId!,
        };
      }),
  );
}

const INSERT = `
INSERT INTO documents (bucket, object_key, version_id, etag, object_version, event_time, message_id,
                       size_bytes, content_type, sha256, content)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
                     $8::bigint[], $9::text[], $10::text[], $11::text[])
ON CONFLICT ON CONSTRAINT documents_object_identity DO NOTHING`;

/** One statement, one round trip, for the whole batch. */
export async function insertFiles(pool: Pool, rows: readonly FileRow[]): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(INSERT, [
    rows.map((r) => r.bucket),
    rows.map((r) => r.key),
    rows.map((r) => r.versionId),
    rows.map((r) => r.etag),
    rows.map((r) => r.versionId ?? `etag:${r.etag}`),
    rows.map((r) => r.eventTime),
    rows.map((r) => r.messageId),
    rows.map((r) => r.size),
    rows.map((r) => r.contentType),
    rows.map((r) => r.sha256),
    rows.map((r) => r.content),
  ]);
}
