/** Batched SQS calls: one request per up-to-10 messages, failures per entry logged. */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  Message,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { log } from "./log";

/** SQS accepts at most 10 entries per batch request. */
const MAX_BATCH = 10;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH) out.push(items.slice(i, i + MAX_BATCH));
  return out;
}

export class QueueClient {
  /** SQS requests sent, for the benchmark's calls-per-file figure. */
  calls = 0;

  constructor(
    readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  /** Deletes `messages` in as few requests as possible; returns how many SQS confirmed. */
  async delete(messages: readonly Message[]): Promise<number> {
    let deleted = 0;
    for (const batch of chunks(messages)) {
      this.calls++;
      const result = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      deleted += result.Successful?.length ?? 0;
      for (const failure of result.Failed ?? []) {
        // Already committed: a redelivery hits the unique index and adds nothing.
        log.warn("delete failed; the message will be redelivered and skipped as a duplicate", {
          messageId: batch[Number(failure.Id)].MessageId,
          code: failure.Code,
        });
      }
    }
    return deleted;
  }

  /** Sets the visibility of `messages`: extend (heartbeat) or 0 (release for another receive). */
  async setVisibility(messages: readonly Message[], seconds: number): Promise<void> {
    for (const batch of chunks(messages)) {
      this.calls++;
      const result = await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: seconds })),
        }),
      );
      for (const failure of result.Failed ?? [])
        log.warn("visibility change failed", { messageId: batch[Number(failure.Id)].MessageId, code: failure.Code });
    }
  }
}
