/**
 * How the worker's connections authenticate. On RDS (DB_AUTH=iam) each new connection gets a
 * fresh IAM token, signed locally with the task role's credentials: no password exists anywhere.
 * Elsewhere (DB_AUTH=password) the application role's password from DB_PASSWORD.
 */
import { Signer } from "@aws-sdk/rds-signer";
import { WorkerConfig } from "./config";
import { PasswordSource } from "./db";

/** Anything that hands out a token for a new connection: the RDS signer, or a test's stand-in. */
export type TokenSource = () => Promise<string>;

export function rdsTokens(config: WorkerConfig): TokenSource {
  const signer = new Signer({
    hostname: config.db.host,
    port: config.db.port,
    username: config.db.user,
    region: config.region,
  });
  return () => signer.getAuthToken();
}

export function passwordSource(config: WorkerConfig, tokens?: TokenSource): PasswordSource {
  if (config.db.auth === "password") return config.db.password!;
  return tokens ?? rdsTokens(config);
}
