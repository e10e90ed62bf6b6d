/** SDK clients for the e2e, pointed at the emulator and trusting its CA explicitly (no insecure TLS). */
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export const REGION = "us-east-1";
export const TEST_CREDENTIALS = { accessKeyId: "nexus-local", secretAccessKey: "nexus-local" };

/**
 * Endpoint, region, test credentials and the emulator's CA: what every e2e client is given. Without a
 * CA, the emulator serves plain HTTP (the tests that run an e2e phase on their own emulator).
 */
export function emulatorClientConfig(endpoint: string, caFile: string | undefined) {
  return {
    endpoint,
    region: REGION,
    credentials: TEST_CREDENTIALS,
    ...(caFile ? { requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(caFile) }) }) } : {}),
  };
}

export function s3Client(endpoint: string, caFile: string): S3Client {
  return new S3Client({ ...emulatorClientConfig(endpoint, caFile), forcePathStyle: true });
}
