/**
 * Reads one object from S3 with a size cap and decodes it as strict UTF-8. Every outcome is a
 * value, so the caller decides per object: store, reject, skip (gone) or retry (transient).
 */
import { createHash } from "node:crypto";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ObjectRef } from "./events";

export type ObjectOutcome =
  | {
      readonly kind: "document";
      readonly ref: ObjectRef;
      readonly content: string;
      readonly sizeBytes: number;
      readonly sha256: string;
      readonly contentType?: string;
      readonly etag?: string;
      readonly versionId?: string;
    }
  | {
      readonly kind: "rejected";
      readonly ref: ObjectRef;
      readonly reason: "too_large" | "not_utf8" | "nul_byte";
      readonly detail: string;
      readonly sizeBytes?: number;
      readonly contentType?: string;
      readonly etag?: string;
      readonly versionId?: string;
    }
  | { readonly kind: "gone"; readonly ref: ObjectRef; readonly detail: string }
  | { readonly kind: "failed"; readonly ref: ObjectRef; readonly error: Error };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export class ObjectReader {
  constructor(
    private readonly s3: S3Client,
    private readonly maxBytes: number,
  ) {}

  async read(ref: ObjectRef): Promise<ObjectOutcome> {
    if (ref.size !== undefined && ref.size > this.maxBytes) {
      return {
        kind: "rejected",
        ref,
        reason: "too_large",
        detail: `notification says ${ref.size} bytes; the limit is ${this.maxBytes}`,
        sizeBytes: ref.size,
        etag: ref.etag,
        versionId: ref.versionId,
      };
    }
    try {
      const response = await this.s3.send(
        new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
      );
      const meta = {
        contentType: response.ContentType,
        etag: response.ETag?.replace(/"/g, "") ?? ref.etag,
        versionId: response.VersionId ?? ref.versionId,
      };
      const length = response.ContentLength ?? 0;
      if (length > this.maxBytes) {
        response.Body?.transformToWebStream()
          .cancel()
          .catch(() => undefined); // do not download what we reject
        return {
          kind: "rejected",
          ref,
          reason: "too_large",
          detail: `object is ${length} bytes; the limit is ${this.maxBytes}`,
          sizeBytes: length,
          ...meta,
        };
      }
      const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
      return decode(ref, bytes, meta);
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === "NoSuchKey" || name === "NoSuchVersion" || name === "NotFound") {
        return { kind: "gone", ref, detail: `${name}: deleted after upload` };
      }
      return { kind: "failed", ref, error: error as Error };
    }
  }
}

function decode(
  ref: ObjectRef,
  bytes: Buffer,
  meta: { contentType?: string; etag?: string; versionId?: string },
): ObjectOutcome {
  let content: string;
  try {
    content = strictUtf8.decode(bytes);
  } catch {
    return {
      kind: "rejected",
      ref,
      reason: "not_utf8",
      detail: "content is not valid UTF-8",
      sizeBytes: bytes.length,
      ...meta,
    };
  }
  // PostgreSQL text cannot hold U+0000, though it is valid UTF-8.
  if (content.includes("\u0000")) {
    return {
      kind: "rejected",
      ref,
      reason: "nul_byte",
      detail: "content contains a NUL character, which PostgreSQL text cannot store",
      sizeBytes: bytes.length,
      ...meta,
    };
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { kind: "document", ref, content, sizeBytes: bytes.length, sha256, ...meta };
}
