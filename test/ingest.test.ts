import { Synthesized, nexusStack, synthNexus, synthesize } from "./synth";

const synth = synthNexus("dev");
const ref = (type: string, fragment: string, attr: string) => `\${${synth.address(type, fragment)}.${attr}}`;
const KEY_ARN = ref("aws_kms_key", "data-key", "arn");
const bucketId = (fragment: string) => ref("aws_s3_bucket", fragment, "id");

describe("ingest bucket", () => {
  const bucket = bucketId("ingest_bucket");
  const forBucket = (type: string) => Object.values(synth.resources(type)).find((r) => r.bucket === bucket)!;

  test("blocks all four kinds of public access", () => {
    expect(forBucket("aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  test("disables ACLs (BucketOwnerEnforced) and versions objects", () => {
    expect(forBucket("aws_s3_bucket_ownership_controls").rule.object_ownership).toBe("BucketOwnerEnforced");
    expect(forBucket("aws_s3_bucket_versioning").versioning_configuration.status).toBe("Enabled");
  });

  test("encrypts with the data key (SSE-KMS) and a bucket key", () => {
    const [rule] = forBucket("aws_s3_bucket_server_side_encryption_configuration").rule;
    expect(rule).toEqual({
      apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: KEY_ARN },
      bucket_key_enabled: true,
    });
  });

  test("denies every request that is not TLS", () => {
    const [deny] = Synthesized.policy(forBucket("aws_s3_bucket_policy").policy).Statement;
    expect(deny).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  test("writes access logs to the separate log bucket", () => {
    expect(forBucket("aws_s3_bucket_logging")).toMatchObject({
      target_bucket: bucketId("access-logs"),
      target_prefix: "ingest/",
    });
  });

  test("expires noncurrent versions and abandoned multipart uploads", () => {
    const [rule] = forBucket("aws_s3_bucket_lifecycle_configuration").rule;
    expect(rule).toMatchObject({
      status: "Enabled",
      noncurrent_version_expiration: [{ noncurrent_days: 7 }],
      abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
    });
  });

  test("the log bucket admits only S3 log delivery for the ingest bucket", () => {
    const policy = Object.values(synth.resources("aws_s3_bucket_policy")).find(
      (p) => p.bucket === bucketId("access-logs"),
    )!;
    const delivery = Synthesized.policy(policy.policy).Statement.find((s) => s.Sid === "S3ServerAccessLogDelivery")!;
    expect(delivery.Principal).toEqual({ Service: "logging.s3.amazonaws.com" });
    expect(delivery.Action).toEqual(["s3:PutObject"]);
    expect(delivery.Condition.ArnLike["aws:SourceArn"]).toMatch(/:s3:::nexus-dev-ingest-/);
  });
});

describe("notifications and queues", () => {
  const queue = synth.named("aws_sqs_queue", "ingest_queue");
  const dlq = synth.named("aws_sqs_queue", "ingest_dlq");

  test("ObjectCreated events for .txt keys go to the ingest queue, after its policy exists", () => {
    const notification = synth.only("aws_s3_bucket_notification");
    expect(notification.queue).toEqual([
      {
        id: "object-created-to-queue",
        queue_arn: ref("aws_sqs_queue", "ingest_queue", "arn"),
        events: ["s3:ObjectCreated:*"],
        filter_suffix: ".txt",
      },
    ]);
    expect(notification.depends_on).toEqual([synth.address("aws_sqs_queue_policy", "queue-policy")]);
  });

  test("the suffix is configurable", () => {
    const csv = synthesize(nexusStack("dev", { ingest: { objectSuffix: ".csv" } }));
    expect(csv.only("aws_s3_bucket_notification").queue[0].filter_suffix).toBe(".csv");
  });

  test("both queues are encrypted with the data key", () => {
    for (const q of [queue, dlq]) expect(q.kms_master_key_id).toBe(KEY_ARN);
  });

  test("long polling (20 s) and a visibility timeout of twice the processing budget", () => {
    expect(queue.receive_wait_time_seconds).toBe(20);
    expect(queue.visibility_timeout_seconds).toBe(120);
  });

  test("failed messages move to the DLQ after maxReceiveCount (default 5), configurable", () => {
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: ref("aws_sqs_queue", "ingest_dlq", "arn"),
      maxReceiveCount: 5,
    });
    const three = synthesize(nexusStack("dev", { ingest: { maxReceiveCount: 3 } }));
    expect(JSON.parse(three.named("aws_sqs_queue", "ingest_queue").redrive_policy).maxReceiveCount).toBe(3);
  });

  test("only the ingest queue may redrive into the DLQ", () => {
    expect(JSON.parse(synth.only("aws_sqs_queue_redrive_allow_policy").redrive_allow_policy)).toEqual({
      redrivePermission: "byQueue",
      sourceQueueArns: [ref("aws_sqs_queue", "ingest_queue", "arn")],
    });
  });

  test("the queue policy admits only S3, for this bucket and account, and denies non-TLS", () => {
    const [allow, deny] = Synthesized.policy(synth.named("aws_sqs_queue_policy", "queue-policy").policy).Statement;
    expect(allow).toEqual({
      Sid: "IngestBucketNotifications",
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: ["sqs:SendMessage"],
      Resource: [ref("aws_sqs_queue", "ingest_queue", "arn")],
      Condition: {
        ArnEquals: { "aws:SourceArn": ref("aws_s3_bucket", "ingest_bucket", "arn") },
        StringEquals: {
          "aws:SourceAccount": `\${${Object.keys(synth.json.data.aws_caller_identity).map((k) => `data.aws_caller_identity.${k}`)[0]}.account_id}`,
        },
      },
    });
    expect(deny).toMatchObject({
      Effect: "Deny",
      Action: ["sqs:*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });
});
