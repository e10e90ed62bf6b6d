import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Credentials } from "./db";

/** Reads the RDS-managed secret (JSON with `username` and `password`): the password after rotation. */
export function secretCredentials(client: SecretsManagerClient, secretArn: string): () => Promise<Credentials> {
  return async () => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const secret = JSON.parse(result.SecretString ?? "{}") as { username?: unknown; password?: unknown };
    if (typeof secret.username !== "string" || typeof secret.password !== "string") {
      throw new Error(`secret ${secretArn} has no string username and password`);
    }
    return { user: secret.username, password: secret.password };
  };
}
