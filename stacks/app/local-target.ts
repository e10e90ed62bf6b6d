/**
 * The local target: one explicit setting, NEXUS_LOCAL_ENDPOINT (an https URL on a loopback
 * address), points the AWS provider and the S3 backend at the local emulator
 * (scripts/emulator) with test credentials, path-style S3 and the emulator's CA. Off unless set;
 * never inferred from missing credentials. It changes the provider and backend blocks only: every
 * resource, data source and output is the one AWS gets.
 */
import type { S3BackendConfig } from "cdktf";
import { ConfigError } from "../config/errors";
import type { AwsProviderConfig, AwsProviderEndpoints } from "@cdktf/provider-aws/lib/provider";

export interface LocalTarget {
  /** e.g. https://127.0.0.1:4566 */
  readonly endpoint: string;
  /** The emulator's CA certificate (PEM), trusted explicitly by the provider and the backend. */
  readonly caBundle: string;
}

/** The services our stacks call, each pointed at the emulator. */
const SERVICES = [
  "applicationautoscaling",
  "cloudwatch",
  "dynamodb",
  "ec2",
  "ecr",
  "ecs",
  "iam",
  "kms",
  "logs",
  "rds",
  "s3",
  "secretsmanager",
  "sns",
  "sqs",
  "sts",
] as const;

/** Credentials the emulator accepts; they open nothing anywhere else. */
const TEST_CREDENTIALS = { accessKey: "nexus-local", secretKey: "nexus-local" };

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Reads NEXUS_LOCAL_ENDPOINT and NEXUS_LOCAL_CA_BUNDLE; undefined when the endpoint is unset. */
export function localTargetSettings(env: NodeJS.ProcessEnv): LocalTarget | undefined {
  const endpoint = env.NEXUS_LOCAL_ENDPOINT;
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(
      `nexus local target: NEXUS_LOCAL_ENDPOINT must be a URL such as https://127.0.0.1:4566, got ${JSON.stringify(endpoint)}`,
    );
  }
  if (url.protocol !== "https:" || !isLoopback(url.hostname) || url.pathname !== "/") {
    throw new ConfigError(
      `nexus local target: NEXUS_LOCAL_ENDPOINT must be https on a loopback address (127.0.0.0/8, localhost, [::1]) with no path, got ${JSON.stringify(endpoint)}`,
    );
  }
  const caBundle = env.NEXUS_LOCAL_CA_BUNDLE;
  if (!caBundle)
    throw new ConfigError(
      "nexus local target: NEXUS_LOCAL_ENDPOINT is set, so NEXUS_LOCAL_CA_BUNDLE (the emulator's CA file) must be set too",
    );
  return { endpoint: url.origin, caBundle };
}

/** Provider settings for the local target; {} when there is none. */
export function localProviderSettings(target: LocalTarget | undefined): Partial<AwsProviderConfig> {
  if (!target) return {};
  const endpoints = Object.fromEntries(SERVICES.map((service) => [service, target.endpoint])) as AwsProviderEndpoints;
  return {
    ...TEST_CREDENTIALS,
    endpoints: [endpoints],
    customCaBundle: target.caBundle,
    s3UsePathStyle: true,
    skipCredentialsValidation: true,
    skipMetadataApiCheck: "true",
  };
}

/** S3 backend settings for the local target; {} when there is none. */
export function localBackendSettings(target: LocalTarget | undefined): Partial<S3BackendConfig> {
  if (!target) return {};
  const { endpoint } = target;
  return {
    ...TEST_CREDENTIALS,
    endpoints: { s3: endpoint, dynamodb: endpoint, iam: endpoint, sts: endpoint },
    customCaBundle: target.caBundle,
    usePathStyle: true,
    skipCredentialsValidation: true,
    skipMetadataApiCheck: true,
  };
}

/**
 * Settings of OpenTofu's aws_kms key provider for the local target (its own argument names); {} when
 * there is none. It has no kms endpoint: see checkKeyProviderEndpoint.
 */
export function localKeyProviderSettings(target: LocalTarget | undefined): Record<string, unknown> {
  if (!target) return {};
  return {
    access_key: TEST_CREDENTIALS.accessKey,
    secret_key: TEST_CREDENTIALS.secretKey,
    endpoints: { iam: target.endpoint, sts: target.endpoint },
    custom_ca_bundle: target.caBundle,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
  };
}
