import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { PolicyStatement, denyInsecureTransport, policyJson } from "../shared/iam";

export interface PrivateBucketProps {
  readonly bucketName: string;
  /**
   * KMS key for SSE-KMS with a bucket key. Omit only for a bucket that receives S3 server
   * access logs: log delivery supports SSE-S3 targets only.
   */
  readonly kmsKeyArn?: string;
  /** Days a replaced or deleted object version is kept. */
  readonly noncurrentVersionDays: number;
  /** Days before current objects expire. @default never */
  readonly expireAfterDays?: number;
  /** Where S3 writes this bucket's access logs. @default no access logging */
  readonly accessLogs?: { readonly bucket: PrivateBucket; readonly prefix: string };
  /** Statements added to the TLS-only bucket policy. */
  readonly extraPolicyStatements?: (bucketArn: string) => PolicyStatement[];
  /** @default false: destroy fails while objects remain */
  readonly forceDestroy?: boolean;
  /**
   * Refuse, at plan time, any plan that would destroy the bucket (Terraform's `prevent_destroy`).
   * @default false
   */
  readonly preventDestroy?: boolean;
}

/**
 * An S3 bucket that cannot become public: all four public-access blocks, ACLs disabled
 * (BucketOwnerEnforced), versioning, default encryption, TLS-only policy, and lifecycle rules
 * so old versions do not grow forever.
 */
export class PrivateBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly arn: string;
  readonly name: string;
  /** The bucket policy; notifications and log delivery depend on it existing first. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    this.arn = this.bucket.arn;
    this.name = this.bucket.bucket;
    const bucket = this.bucket.id;

    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        props.kmsKeyArn
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn },
              bucketKeyEnabled: true, // one KMS call per bucket key period instead of per object
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    });
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket,
      policy: policyJson([
        denyInsecureTransport("s3", [this.arn, `${this.arn}/*`]),
        ...(props.extraPolicyStatements?.(this.arn) ?? []),
      ]),
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          ...(props.expireAfterDays ? { expiration: [{ days: props.expireAfterDays }] } : {}),
        },
      ],
    });
    if (props.accessLogs) {
      new S3BucketLoggingA(this, "logging", {
        bucket,
        targetBucket: props.accessLogs.bucket.bucket.id,
        targetPrefix: props.accessLogs.prefix,
        dependsOn: [props.accessLogs.bucket.policy],
      });
    }
  }

  /** s3:GetObject and s3:GetObjectVersion on this bucket's objects: read, nothing else. */
  grantReadObjects(): PolicyStatement {
    return {
      Sid: "ReadObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: [`${this.arn}/*`],
    };
  }
}

/** Bucket-policy statement that lets S3 server access logging write into `prefix` of a log bucket. */
export function allowAccessLogDelivery(sourceBucketArn: string, accountId: string, prefix: string) {
  return (logBucketArn: string): PolicyStatement[] => [
    {
      Sid: "S3ServerAccessLogDelivery",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: ["s3:PutObject"],
      Resource: [`${logBucketArn}/${prefix}*`],
      Condition: { ArnLike: { "aws:SourceArn": sourceBucketArn }, StringEquals: { "aws:SourceAccount": accountId } },
    },
  ];
}
