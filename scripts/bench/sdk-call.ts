/**
 * The two processes of `npm run bench:sdk` (sdk-calls.ts), compiled and run by plain node:
 *   serve <port> <delayMs>   (port 0: any; sent to the parent) an HTTPS stand-in for S3 GetObject and SQS ReceiveMessage(10) +
 *                            DeleteMessageBatch, answering after a fixed delay (keep-alive, TLS)
 *   call <variant> <s3|sqs>  the client: warm-up calls, then measured ones; prints one JSON line
 * Env: CERT, KEY (serve); ENDPOINT, SDK_DIR (the package.json whose SDK to load), WARMUP, CALLS (call).
 * The stand-in answers what the real services would for these calls and nothing else: it lets the
 * client's CPU per call be measured at a fixed rate, without an emulator's cost or variance.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { createRequire } from "node:module";

export const VARIANTS = ["sdk-defaults", "worker-settings", "worker-settings+fetch-handler"] as const;
export type Variant = (typeof VARIANTS)[number];
export interface CallCost {
  readonly cpuMsPerFile: number;
}

const OBJECT = Buffer.from(`document: ${"lorem ipsum ".repeat(8)}\n`);

function serve(port: number, delayMs: number): void {
  const server = createServer({ key: readFileSync(process.env.KEY!), cert: readFileSync(process.env.CERT!) });
  server.keepAliveTimeout = 60_000;
  server.on("request", (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () =>
      setTimeout(() => {
        const target = String(req.headers["x-amz-target"] ?? "");
        if (!target) {
          res.writeHead(200, {
            "content-type": "text/plain",
            "content-length": OBJECT.length,
            etag: `"${createHash("md5").update(OBJECT).digest("hex")}"`,
            "x-amz-version-id": "v1",
            "last-modified": new Date().toUTCString(),
            "x-amz-request-id": randomUUID(),
            "x-amz-server-side-encryption": "aws:kms",
          });
          res.end(OBJECT);
          return;
        }
        let out: object = {};
        if (target.endsWith(".ReceiveMessage")) {
          out = {
            Messages: Array.from({ length: 10 }, (_, i) => {
              const Body = JSON.stringify({
                Records: [
                  {
                    eventVersion: "2.1",
                    eventSource: "aws:s3",
                    eventName: "ObjectCreated:Put",
                    eventTime: new Date().toISOString(),
                    s3: {
                      bucket: { name: "ingest" },
                      object: { key: `f-${i}.txt`, size: OBJECT.length, versionId: "v1" },
                    },
                  },
                ],
              });
              return {
                MessageId: randomUUID(),
                ReceiptHandle: randomUUID().repeat(6),
                MD5OfBody: createHash("md5").update(Body).digest("hex"),
                Body,
                Attributes: { ApproximateReceiveCount: "1" },
              };
            }),
          };
        } else if (target.endsWith(".DeleteMessageBatch")) {
          const { Entries } = JSON.parse(Buffer.concat(chunks).toString()) as { Entries: { Id: string }[] };
          out = { Successful: Entries.map(({ Id }) => ({ Id })), Failed: [] };
        }
        const body = JSON.stringify(out);
        res.writeHead(200, {
          "content-type": "application/x-amz-json-1.0",
          "content-length": Buffer.byteLength(body),
          "x-amzn-requestid": randomUUID(),
        });
        res.end(body);
      }, delayMs),
    );
  });
  server.listen(port, "127.0.0.1", () => {
    const address = server.address();
    process.send?.({ port: typeof address === "object" && address ? address.port : port });
  });
}

async function call(variant: Variant, kind: "s3" | "sqs"): Promise<CallCost> {
  const sdk = createRequire(process.env.SDK_DIR!);
  const { S3Client, GetObjectCommand } = sdk("@aws-sdk/client-s3");
  const { SQSClient, ReceiveMessageCommand, DeleteMessageBatchCommand } = sdk("@aws-sdk/client-sqs");
  const worker = createRequire(process.env.NEXUS_WORKER_DIR!)("./dist/worker.js");
  const base = {
    region: "us-east-1",
    endpoint: process.env.ENDPOINT,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    ...(variant === "sdk-defaults" ? {} : worker.CLIENT_SETTINGS),
  };
  const fetchHandler = () => {
    const { FetchHttpHandler } = sdk("@smithy/fetch-http-handler");
    return new FetchHttpHandler({ keepAlive: true });
  };
  const s3 = new S3Client({
    ...base,
    forcePathStyle: true,
    ...(variant === "worker-settings" ? { requestHandler: { httpsAgent: { maxSockets: worker.S3_CONNECTIONS } } } : {}),
    ...(variant === "worker-settings+fetch-handler" ? { requestHandler: fetchHandler() } : {}),
  });
  const sqs = new SQSClient({
    ...base,
    ...(variant === "worker-settings+fetch-handler" ? { requestHandler: fetchHandler() } : {}),
  });
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const queueUrl = `${process.env.ENDPOINT}/000000000000/bench`;
  // One batch of 10 files: 10 GetObjects at once, as the worker reads a receive's objects; or one
  // ReceiveMessage(10) and its DeleteMessageBatch.
  const batch = async () => {
    if (kind === "s3") {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const response = await s3.send(
            new GetObjectCommand({ Bucket: "ingest", Key: `f-${i}.txt`, VersionId: "v1" }),
          );
          const bytes = Buffer.from(await response.Body.transformToByteArray());
          utf8.decode(bytes);
          createHash("sha256").update(bytes).digest("hex");
        }),
      );
      return;
    }
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 20,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    for (const m of Messages) JSON.parse(m.Body);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m: { ReceiptHandle: string }, i: number) => ({
          Id: String(i),
          ReceiptHandle: m.ReceiptHandle,
        })),
      }),
    );
  };
  for (let done = 0; done < Number(process.env.WARMUP); done += 10) await batch();
  const files = Number(process.env.CALLS);
  const cpu0 = process.cpuUsage();
  for (let done = 0; done < files; done += 10) await batch();
  const cpu = process.cpuUsage(cpu0);
  return { cpuMsPerFile: (cpu.user + cpu.system) / 1000 / files };
}

if (require.main === module) {
  const [role, a, b] = process.argv.slice(2);
  if (role === "serve") serve(Number(a), Number(b));
  else
    call(a as Variant, b as "s3" | "sqs").then(
      (cost) => {
        console.log(JSON.stringify(cost));
        process.exit(0);
      },
      (err) => {
        console.error(`sdk-call failed: ${err.stack ?? err}`);
        process.exit(1);
      },
    );
}
