/** The e2e's ingest check, for the worker as a process (prebuilt mode) and as the pushed image. */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Postgres } from "../local/services";

/** Three .txt uploads (one non-ASCII key, one empty) and one upload the notification filter drops. */
export const E2E_FILES: Record<string, string> = {
  "e2e/hello.txt": "Hello from Nexus!\n",
  "e2e/ünïcödé.txt": "Grüße ✓\n",
  "e2e/empty.txt": "",
};

/**
 * Uploads the files to the bucket and waits (60 s at most) until the documents table holds exactly
 * them, key and content: no other row, none missing. Resolves with the row count; throws otherwise.
 */
export async function proveIngest(s3: S3Client, pg: Postgres, bucket: string): Promise<number> {
  for (const [key, body] of Object.entries({ ...E2E_FILES, "e2e/photo.png": "no notification" })) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body) }));
  }
  const expected = JSON.stringify(Object.entries(E2E_FILES).sort(([a], [b]) => (a < b ? -1 : 1)));
  const deadline = Date.now() + 60_000;
  let rows: { object_key: string; content: string }[] = [];
  while (Date.now() < deadline) {
    rows = await pg
      .query<{ object_key: string; content: string }>("SELECT object_key, content FROM documents ORDER BY object_key")
      .catch(() => []);
    if (JSON.stringify(rows.map((r) => [r.object_key, r.content])) === expected) return rows.length;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`assertion failed: the documents table holds exactly the uploads; rows ${JSON.stringify(rows)}`);
}
