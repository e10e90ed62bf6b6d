import { decodeKey, parseMessageBody } from "../src/events";
import { ConfigError, loadConfig, loadMigrationConfig } from "../src/config";

const record = (key: string, extra: Record<string, unknown> = {}) => ({
  eventName: "ObjectCreated:Put",
  eventTime: "2026-11-22T00:00:00.000Z",
  s3: { bucket: { name: "b" }, object: { key, size: 3, eTag: "abc", ...extra } },
});

describe("S3 event parsing", () => {
  test("keys are form-decoded: + is a space, percent-escapes are UTF-8", () => {
    expect(decodeKey("dir/hello+world%2B%C3%BC.txt")).toBe("dir/hello world+ü.txt");
  });

  test("several records in one message, with version ids", () => {
    const parsed = parseMessageBody(
      JSON.stringify({ Records: [record("a.txt", { versionId: "v1" }), record("b.txt")] }),
    );
    expect(parsed).toEqual({
      kind: "objects",
      objects: [
        {
          bucket: "b",
          key: "a.txt",
          versionId: "v1",
          etag: "abc",
          size: 3,
          eventTime: "2026-11-22T00:00:00.000Z",
          eventName: "ObjectCreated:Put",
        },
        {
          bucket: "b",
          key: "b.txt",
          versionId: undefined,
          etag: "abc",
          size: 3,
          eventTime: "2026-11-22T00:00:00.000Z",
          eventName: "ObjectCreated:Put",
        },
      ],
    });
  });

  test("s3:TestEvent is recognised", () => {
    expect(parseMessageBody(JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent" }))).toEqual({
      kind: "test-event",
    });
  });

  test.each([
    ["not JSON", "{nope", /not JSON/],
    ["no Records", "{}", /no Records/],
    [
      "an unknown event",
      JSON.stringify({ Records: [{ ...record("a"), eventName: "ObjectRemoved:Delete" }] }),
      /not an ObjectCreated event/,
    ],
    [
      "a record without a key",
      JSON.stringify({ Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: "b" } } }] }),
      /no s3.bucket.name or s3.object.key/,
    ],
    ["a broken percent-escape", JSON.stringify({ Records: [record("%E0%A4%A")] }), /percent-encoding/],
    ["an empty body", undefined, /not JSON/],
  ])("%s is invalid, with the reason", (_name, body, reason) => {
    const parsed = parseMessageBody(body as string | undefined);
    expect(parsed.kind).toBe("invalid");
    expect(parsed.kind === "invalid" && parsed.reason).toMatch(reason);
  });
});

describe("worker config", () => {
  const env = {
    QUEUE_URL: "http://localhost/q",
    AWS_REGION: "us-east-1",
    DB_HOST: "h",
    DB_NAME: "n",
    DB_USER: "nexus_worker",
  };

  test("defaults: IAM authentication, verify-full TLS, concurrency 4, 10 MiB cap, 120 s visibility, 20 s long poll", () => {
    expect(loadConfig(env)).toMatchObject({
      concurrency: 4,
      maxObjectBytes: 10485760,
      visibilityTimeoutSeconds: 120,
      waitTimeSeconds: 20,
      db: { ssl: "verify-full", port: 5432, auth: "iam", user: "nexus_worker" },
    });
    expect(loadConfig(env).db.password).toBeUndefined();
  });

  test.each([
    [{ QUEUE_URL: undefined }, /^QUEUE_URL is required and not set$/],
    [{ DB_AUTH: "password" }, /^DB_PASSWORD is required when DB_AUTH is password$/],
    [{ DB_PASSWORD: "p" }, /^DB_PASSWORD must not be set when DB_AUTH is iam/],
    [{ DB_AUTH: "trust" }, /^DB_AUTH must be one of iam, password, got "trust"$/],
    [{ DB_SSL: "prefer" }, /^DB_SSL must be one of verify-full, require, disable, got "prefer"$/],
    [{ WORKER_CONCURRENCY: "0" }, /^WORKER_CONCURRENCY must be an integer from 1 to 50, got "0"$/],
    [{ DB_PORT: "54x" }, /^DB_PORT must be an integer/],
    [{ QUEUE_URL: "my-queue" }, /^QUEUE_URL must be an SQS queue URL/],
  ])("%j is refused, naming the variable", (override, message) => {
    expect(() => loadConfig({ ...env, ...override })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, ...override })).toThrow(message);
  });
});

describe("migration config", () => {
  const env = { DB_HOST: "h", DB_NAME: "n", DB_USER: "nexus_admin", DB_PASSWORD: "master" };

  test("defaults: creates nexus_worker for IAM authentication, waits 300 s unless told", () => {
    expect(loadMigrationConfig(env)).toMatchObject({
      db: { user: "nexus_admin", password: "master", ssl: "verify-full" },
      app: { user: "nexus_worker", auth: "iam" },
      dbWaitSeconds: 300,
    });
  });

  test.each([
    [{ DB_PASSWORD: undefined }, /^DB_PASSWORD is required \(the master password\)/],
    [{ DB_AUTH: "password" }, /^DB_APP_PASSWORD is required when DB_AUTH is password$/],
    [{ DB_APP_PASSWORD: "x" }, /^DB_APP_PASSWORD must not be set when DB_AUTH is iam/],
    [{ DB_APP_USER: "Nexus-Worker" }, /^DB_APP_USER must be a role name of lower-case letters, digits and _/],
    [{ DB_APP_USER: "nexus_admin" }, /^DB_APP_USER must differ from the master user nexus_admin$/],
  ])("%j is refused, naming the variable", (override, message) => {
    expect(() => loadMigrationConfig({ ...env, ...override })).toThrow(message);
  });
});
