import { NoSuchKey } from "@aws-sdk/client-s3";
import { log } from "../src/log";
import { CLIENT_SETTINGS } from "../src/worker";

/** Every line the SDK logger writes while `body` runs, parsed. */
function linesWhile(body: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    body();
  } finally {
    spy.mockRestore();
  }
  return written.map((line) => JSON.parse(line));
}

const sdkError = () =>
  new NoSuchKey({
    message: "The specified key does not exist.",
    $metadata: { httpStatusCode: 404, requestId: "4442587FB7D0A2F9", extendedRequestId: "ext-1", attempts: 1 },
  });

describe("the SDK logger writes what failed", () => {
  test("an SDK error keeps its name, message, HTTP status, request id and attempts", () => {
    const [line] = linesWhile(() => CLIENT_SETTINGS.logger.error(sdkError()));
    expect(line).toMatchObject({ level: "error", msg: "AWS SDK error" });
    expect(line.detail).toEqual({
      name: "NoSuchKey",
      message: "The specified key does not exist.",
      fault: "client",
      httpStatusCode: 404,
      requestId: "4442587FB7D0A2F9",
      extendedRequestId: "ext-1",
      attempts: 1,
    });
  });

  test("the logger middleware's object keeps client, command, where the call went and the error, never the body", () => {
    const entry = {
      clientName: "S3Client",
      commandName: "GetObjectCommand",
      input: { Bucket: "nexus-dev-ingest", Key: "a.txt", Body: "secret contents", SSECustomerKey: "k" },
      output: { Body: "secret contents" },
      error: sdkError(),
      metadata: { httpStatusCode: 404, requestId: "4442587FB7D0A2F9", attempts: 1 },
    };
    const [line] = linesWhile(() => CLIENT_SETTINGS.logger.error(entry));
    expect(line.detail).toMatchObject({
      clientName: "S3Client",
      commandName: "GetObjectCommand",
      Bucket: "nexus-dev-ingest",
      Key: "a.txt",
      error: { name: "NoSuchKey", httpStatusCode: 404, requestId: "4442587FB7D0A2F9" },
      metadata: { httpStatusCode: 404, requestId: "4442587FB7D0A2F9", attempts: 1 },
    });
    expect(JSON.stringify(line)).not.toMatch(/secret contents|SSECustomerKey|\[object Object\]/);
  });

  test("a plain string stays a string", () => {
    const [line] = linesWhile(() => CLIENT_SETTINGS.logger.warn("Are you using a Stream of unknown length?"));
    expect(line).toMatchObject({
      level: "warn",
      msg: "AWS SDK warning",
      detail: "Are you using a Stream of unknown length?",
    });
  });

  test("an AbortError (the worker's own stop cancelling a long poll) is an info line, not an error", () => {
    const aborted = Object.assign(new Error("Request aborted"), { name: "AbortError" });
    const entry = { clientName: "SQSClient", commandName: "ReceiveMessageCommand", input: {}, error: aborted };
    for (const message of [aborted, entry]) {
      const [line] = linesWhile(() => CLIENT_SETTINGS.logger.error(message));
      expect(line).toMatchObject({ level: "info", msg: "long poll cancelled by the stop" });
    }
    // Any other error in the same entry stays an error line.
    const [other] = linesWhile(() => CLIENT_SETTINGS.logger.error({ ...entry, error: sdkError() }));
    expect(other).toMatchObject({ level: "error", msg: "AWS SDK error" });
  });

  test("a thrown non-Error is described by its fields, not as [object Object]", () => {
    const [line] = linesWhile(() => CLIENT_SETTINGS.logger.error({ code: "ECONNRESET", errno: -104 }));
    expect(line.detail).toEqual({ code: "ECONNRESET", errno: -104 });
  });
});

describe("a wrapped cause is logged with its own name, message and code", () => {
  test("an Error cause", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 10.0.1.5:5432"), { code: "ECONNREFUSED" });
    const [line] = linesWhile(() => log.error("batch failed", { err: new Error("database unavailable", { cause }) }));
    expect(line.err).toEqual({
      name: "Error",
      message: "database unavailable",
      cause: { name: "Error", message: "connect ECONNREFUSED 10.0.1.5:5432", code: "ECONNREFUSED" },
    });
  });

  test("a non-Error cause keeps its fields at its own level, not under message", () => {
    const cause = { name: "TimeoutError", message: "socket hang up", code: "ECONNRESET" };
    const [line] = linesWhile(() => log.error("batch failed", { err: new Error("read failed", { cause }) }));
    expect(line.err).toEqual({ name: "Error", message: "read failed", cause });
  });
});
