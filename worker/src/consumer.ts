/**
 * The poll loop: receive -> handle -> commit -> delete, `concurrency` loops at once. A message
 * is deleted only after every record it carries is committed to PostgreSQL (or has a defined
 * outcome that needs no row). Stop with `stop()`: receives are aborted, batches in hand finish.
 */
import { Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { WorkerConfig } from "./config";
import { Database, DatabaseError, StoredOutcome } from "./db";
import { parseMessageBody } from "./events";
import { stampHealth } from "./health";
import { emitBatchMetrics, log } from "./log";
import { ObjectOutcome, ObjectReader } from "./objects";
import { QueueClient } from "./queue";

export interface ConsumerDeps {
  readonly queue: QueueClient;
  readonly reader: ObjectReader;
  readonly db: Database;
  readonly config: WorkerConfig;
}

/**
 * Receive errors no backoff can fix: the task's credentials or permissions, or its queue, are wrong
 * (a task role that does not exist, expired or unknown credentials, a policy without
 * sqs:ReceiveMessage, a QUEUE_URL naming no queue). The worker stops and exits non-zero at once, so
 * the task fails where ECS and its deployment circuit breaker see it, instead of polling forever.
 */
const PERMANENT_RECEIVE_ERRORS = new Set([
  "CredentialsProviderError",
  "AccessDenied",
  "AccessDeniedException",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "InvalidSignatureException",
  "QueueDoesNotExist",
  "AWS.SimpleQueueService.NonExistentQueue",
]);

export class ReceiveRefused extends Error {
  constructor(cause: unknown) {
    const name = (cause as { name?: string }).name;
    super(`receive refused (${name}): the task's credentials, its role's permissions or QUEUE_URL are wrong`, {
      cause,
    });
    this.name = "ReceiveRefused";
  }
}

export function isPermanentReceiveError(err: unknown): boolean {
  return typeof err === "object" && err !== null && PERMANENT_RECEIVE_ERRORS.has(String((err as Error).name));
}

/** What one batch decided for each of its messages. */
export interface BatchPlan {
  /** Messages whose outcome needs no row (test events, objects gone): delete with the batch. */
  readonly ackOnly: Message[];
  /** Messages whose rows must commit before they are deleted. */
  readonly toCommit: { message: Message; rows: StoredOutcome[] }[];
  /** Malformed or not ObjectCreated: released for redelivery, so maxReceiveCount moves them to the DLQ. */
  readonly poison: Message[];
  /** A transient S3 failure: left in flight; they reappear after the visibility timeout. */
  readonly retryLater: Message[];
}

/**
 * Waits `ms`, or less if `signal` aborts. Removes its abort listener either way: the backoff
 * loops sleep on one long-lived signal, and a long outage must not pile listeners onto it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Decides the outcome of every message of a batch, reading objects from S3. No SQL, no deletes. */
export async function planBatch(messages: readonly Message[], reader: ObjectReader): Promise<BatchPlan> {
  const plan: BatchPlan = { ackOnly: [], toCommit: [], poison: [], retryLater: [] };
  await Promise.all(
    messages.map(async (message) => {
      const parsed = parseMessageBody(message.Body);
      const messageId = message.MessageId;
      if (parsed.kind === "test-event") {
        log.info("s3:TestEvent acknowledged", { messageId });
        plan.ackOnly.push(message);
        return;
      }
      if (parsed.kind === "invalid") {
        log.error("message is not an S3 ObjectCreated notification; left for redrive to the DLQ", {
          messageId,
          reason: parsed.reason,
        });
        plan.poison.push(message);
        return;
      }
      const outcomes = await Promise.all(parsed.objects.map((ref) => reader.read(ref)));
      const failed = outcomes.filter((o): o is Extract<ObjectOutcome, { kind: "failed" }> => o.kind === "failed");
      if (failed.length > 0) {
        for (const f of failed)
          log.warn("object read failed; the message will be retried", {
            messageId,
            bucket: f.ref.bucket,
            key: f.ref.key,
            err: f.error,
          });
        plan.retryLater.push(message);
        return;
      }
      for (const o of outcomes) {
        if (o.kind === "gone")
          log.warn("object no longer exists; acknowledged", {
            messageId,
            bucket: o.ref.bucket,
            key: o.ref.key,
            detail: o.detail,
          });
        if (o.kind === "rejected")
          log.warn("object rejected", {
            messageId,
            bucket: o.ref.bucket,
            key: o.ref.key,
            reason: o.reason,
            detail: o.detail,
          });
      }
      const rows = outcomes
        .filter((o): o is StoredOutcome["outcome"] => o.kind === "document" || o.kind === "rejected")
        .map((outcome) => ({ messageId: messageId!, outcome }));
      if (rows.length === 0) plan.ackOnly.push(message);
      else plan.toCommit.push({ message, rows });
    }),
  );
  return plan;
}

export class Consumer {
  private readonly stopping = new AbortController();
  /** Messages received and not yet deleted or released, with when their visibility last started. */
  private readonly inFlight = new Map<Message, number>();
  /** Statistics for benchmarks and tests. `peakPolling`: most receives in flight at once. */
  readonly stats = { receives: 0, processed: 0, rejected: 0, failed: 0, peakPolling: 0 };
  private polling = 0;
  /** The first receive error no backoff can fix; run() rejects with it once every loop has stopped. */
  private refused?: ReceiveRefused;
  /** Loops parked while the queue is empty; woken when any receive returns messages, or on stop. */
  private parked: (() => void)[] = [];

  constructor(private readonly deps: ConsumerDeps) {}

  /** Runs `concurrency` poll loops until `stop()`; resolves when all have finished their batch. */
  async run(): Promise<void> {
    // Ticks at a quarter of the timeout, so no message passes half of it unextended by more than that.
    const heartbeat = setInterval(() => void this.heartbeat(), (this.deps.config.visibilityTimeoutSeconds * 1000) / 4);
    try {
      await Promise.all(Array.from({ length: this.deps.config.concurrency }, (_, i) => this.pollLoop(i)));
    } finally {
      clearInterval(heartbeat);
    }
    if (this.refused) throw this.refused;
  }

  stop(): void {
    this.stopping.abort();
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of this.parked.splice(0)) wake();
  }

  /** Makes every message still in hand visible again at once (shutdown past its deadline). */
  async releaseInFlight(): Promise<number> {
    const messages = [...this.inFlight.keys()];
    if (messages.length > 0) await this.deps.queue.setVisibility(messages, 0);
    this.inFlight.clear();
    return messages.length;
  }

  private touchHealth(): void {
    stampHealth(this.deps.config.healthFile);
  }

  /**
   * One poll loop. Loop 0 always polls; the others park after an empty receive and wake when any
   * receive returns messages: an idle task makes one long poll at a time (3 a minute), a busy one
   * up to `concurrency`.
   */
  private async pollLoop(loop: number): Promise<void> {
    const { queue, config } = this.deps;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      this.touchHealth();
      let messages: Message[];
      try {
        queue.calls++;
        this.stats.receives++;
        this.stats.peakPolling = Math.max(this.stats.peakPolling, ++this.polling);
        const result = await queue.sqs
          .send(
            new ReceiveMessageCommand({
              QueueUrl: queue.queueUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: config.waitTimeSeconds,
              MessageSystemAttributeNames: ["ApproximateReceiveCount"],
            }),
            // Lets stop() end a long poll at once. A per-call option bypasses the client's
            // middleware cache, for receives only (0.1 per file); GetObject and deletes keep it.
            { abortSignal: this.stopping.signal },
          )
          .finally(() => this.polling--);
        messages = result.Messages ?? [];
        failures = 0;
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        if (isPermanentReceiveError(err)) {
          // The other loops finish the batches they hold; nothing new is received.
          this.refused ??= new ReceiveRefused(err);
          this.stop();
          break;
        }
        failures++;
        log.warn("receive failed; backing off", { loop, err });
        await sleep(Math.min(30000, 500 * 2 ** failures), this.stopping.signal);
        continue;
      }
      if (messages.length > 0) {
        this.wakeAll();
        await this.handle(messages);
      } else if (loop > 0 && !this.stopping.signal.aborted) {
        await new Promise<void>((resolve) => this.parked.push(resolve));
      }
    }
  }

  private async handle(messages: Message[]): Promise<void> {
    const started = Date.now();
    messages.forEach((m) => this.inFlight.set(m, started));
    try {
      const plan = await planBatch(messages, this.deps.reader);
      if (plan.poison.length > 0) await this.deps.queue.setVisibility(plan.poison, 0);
      const committed = await this.commitWithRetry(plan.toCommit);
      const deletable = [...plan.ackOnly, ...committed.messages];
      if (deletable.length > 0) await this.deps.queue.delete(deletable);
      const failed = plan.poison.length + plan.retryLater.length + (plan.toCommit.length - committed.messages.length);
      this.stats.processed += committed.documents;
      this.stats.rejected += committed.rejected;
      this.stats.failed += failed;
      const bytes = plan.toCommit.flatMap((c) => c.rows).reduce((sum, r) => sum + (r.outcome.sizeBytes ?? 0), 0);
      emitBatchMetrics(this.deps.config.environment, {
        processed: committed.documents,
        rejected: committed.rejected,
        failed,
        bytes,
        latencyMs: Date.now() - started,
      });
    } finally {
      messages.forEach((m) => this.inFlight.delete(m));
    }
  }

  /**
   * Commits the batch in one statement. While the database is unreachable it retries with
   * backoff, keeping the messages (the heartbeat extends them), so an outage neither loses
   * them nor counts extra receives toward the DLQ. A data error isolates the bad message by
   * committing message by message. Returns what committed.
   */
  private async commitWithRetry(
    items: BatchPlan["toCommit"],
  ): Promise<{ messages: Message[]; documents: number; rejected: number }> {
    if (items.length === 0) return { messages: [], documents: 0, rejected: 0 };
    for (let attempt = 1; ; attempt++) {
      try {
        const counts = await this.deps.db.commit(items.flatMap((i) => i.rows));
        return { messages: items.map((i) => i.message), ...counts };
      } catch (err) {
        if (!(err instanceof DatabaseError) || !err.transient) return this.commitOneByOne(items, err);
        if (this.stopping.signal.aborted) {
          log.warn("database unavailable during shutdown; releasing the batch", { messages: items.length });
          await this.deps.queue
            .setVisibility(
              items.map((i) => i.message),
              0,
            )
            .catch(() => undefined);
          return { messages: [], documents: 0, rejected: 0 };
        }
        log.warn("database unavailable; retrying the batch", { attempt, messages: items.length, err });
        this.touchHealth(); // waiting on the database is not a stalled loop
        await sleep(Math.min(15000, 250 * 2 ** attempt), this.stopping.signal);
      }
    }
  }

  private async commitOneByOne(
    items: BatchPlan["toCommit"],
    cause: unknown,
  ): Promise<{ messages: Message[]; documents: number; rejected: number }> {
    log.warn("batch commit failed on data; committing message by message", { err: cause });
    const result = { messages: [] as Message[], documents: 0, rejected: 0 };
    for (const item of items) {
      try {
        const counts = await this.deps.db.commit(item.rows);
        result.messages.push(item.message);
        result.documents += counts.documents;
        result.rejected += counts.rejected;
      } catch (err) {
        const keys = item.rows.map((r) => r.outcome.ref.key);
        log.error("message cannot be stored; left for redrive to the DLQ", {
          messageId: item.message.MessageId,
          keys,
          err,
        });
      }
    }
    return result;
  }

  /** Extends the visibility of messages in work for more than half the visibility timeout. */
  private async heartbeat(): Promise<void> {
    const now = Date.now();
    const halfMs = (this.deps.config.visibilityTimeoutSeconds * 1000) / 2;
    const due = [...this.inFlight].filter(([, since]) => now - since >= halfMs).map(([m]) => m);
    if (due.length === 0) return;
    try {
      await this.deps.queue.setVisibility(due, this.deps.config.visibilityTimeoutSeconds);
      due.forEach((m) => this.inFlight.has(m) && this.inFlight.set(m, now));
      log.info("visibility extended for messages still in work", { messages: due.length });
    } catch (err) {
      log.warn("heartbeat failed", { err, messages: due.length });
    }
  }
}
