/**
 * Parsing of S3 event notifications as SQS delivers them. Pure functions: no I/O, so every
 * encoding edge case is unit-tested.
 */

export interface ObjectRef {
  readonly bucket: string;
  /** The key as stored in S3, URL-decoded from the notification. */
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly size?: number;
  readonly eventTime?: string;
  readonly eventName: string;
}

export type ParsedMessage =
  | { readonly kind: "objects"; readonly objects: readonly ObjectRef[] }
  | { readonly kind: "test-event" }
  | { readonly kind: "invalid"; readonly reason: string };

/** Notification keys are form-encoded: `+` is a space, then percent-escapes (UTF-8). */
export function decodeKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}

function invalid(reason: string): ParsedMessage {
  return { kind: "invalid", reason };
}

function parseRecord(record: unknown, index: number): ObjectRef | string {
  const r = record as {
    eventName?: unknown;
    eventTime?: unknown;
    s3?: { bucket?: { name?: unknown }; object?: Record<string, unknown> };
  };
  if (typeof r?.eventName !== "string") return `Records[${index}].eventName is missing`;
  if (!r.eventName.startsWith("ObjectCreated:"))
    return `Records[${index}] is ${r.eventName}, not an ObjectCreated event`;
  const bucket = r.s3?.bucket?.name;
  const object = r.s3?.object;
  if (typeof bucket !== "string" || typeof object?.key !== "string")
    return `Records[${index}] has no s3.bucket.name or s3.object.key`;
  let key: string;
  try {
    key = decodeKey(object.key);
  } catch {
    return `Records[${index}].s3.object.key is not valid percent-encoding`;
  }
  return {
    bucket,
    key,
    versionId: typeof object.versionId === "string" && object.versionId !== "" ? object.versionId : undefined,
    etag: typeof object.eTag === "string" ? object.eTag : undefined,
    size: typeof object.size === "number" ? object.size : undefined,
    eventTime: typeof r.eventTime === "string" ? r.eventTime : undefined,
    eventName: r.eventName,
  };
}

export function parseMessageBody(body: string | undefined): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body ?? "");
  } catch {
    return invalid("body is not JSON");
  }
  const message = json as { Event?: unknown; Records?: unknown };
  if (message?.Event === "s3:TestEvent") return { kind: "test-event" };
  if (!Array.isArray(message?.Records) || message.Records.length === 0) return invalid("body has no Records");
  const objects: ObjectRef[] = [];
  for (const [index, record] of message.Records.entries()) {
    const parsed = parseRecord(record, index);
    if (typeof parsed === "string") return invalid(parsed);
    objects.push(parsed);
  }
  return { kind: "objects", objects };
}
