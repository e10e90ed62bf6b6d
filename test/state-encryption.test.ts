import { App, Testing } from "cdktf";
import { buildApp, repoRoot } from "../stacks/app/app";
import { NexusStack } from "../stacks/app/nexus-stack";
import { remoteStateSettings } from "../stacks/state/remote-state";
import { Synthesized, synthesize } from "./synth";

// OpenTofu's client-side state encryption: synthesized only when NEXUS_STATE_ENCRYPTION selects it,
// refused on Terraform. The OpenTofu e2e proves it on a real state object (ciphertext, plan with
// and without the key).

const KEY = "arn:aws:kms:us-east-1:123456789012:key/0b8e6bd1-0000-4000-8000-000000000001";
const REMOTE = {
  NEXUS_STATE_BUCKET: "nexus-tfstate-123456789012-us-east-1",
  NEXUS_STATE_LOCK_TABLE: "nexus-tfstate-locks",
  NEXUS_STATE_REGION: "us-east-1",
  NEXUS_STATE_KMS_KEY_ARN: KEY,
};
const OPENTOFU_KMS = { ...REMOTE, NEXUS_ENGINE: "opentofu", NEXUS_STATE_ENCRYPTION: "kms" };

function synthApp(env: NodeJS.ProcessEnv): Record<string, Synthesized> {
  const app: App = Testing.app();
  buildApp(app, { repoRoot: repoRoot(), environments: ["dev"], env });
  return Object.fromEntries(
    app.node.children.map((stack) => [stack.node.id, synthesize(stack as NexusStack)]),
  ) as Record<string, Synthesized>;
}

describe("OpenTofu state encryption (NEXUS_STATE_ENCRYPTION)", () => {
  test("is not synthesized unless selected: Terraform refuses the block", () => {
    for (const env of [{}, REMOTE, { ...REMOTE, NEXUS_ENGINE: "opentofu" }]) {
      for (const synth of Object.values(synthApp(env))) expect(synth.json.terraform.encryption).toBeUndefined();
    }
  });

  test("kms: the state key through the aws_kms key provider, AES-GCM, state and plans enforced", () => {
    const stacks = synthApp(OPENTOFU_KMS);
    expect(stacks["nexus-dev"].json.terraform.encryption).toEqual({
      key_provider: { aws_kms: { state: { kms_key_id: KEY, key_spec: "AES_256", region: "us-east-1" } } },
      method: { aes_gcm: { state: { keys: "${key_provider.aws_kms.state}" } } },
      state: { method: "method.aes_gcm.state", enforced: true },
      plan: { method: "method.aes_gcm.state", enforced: true },
    });
  });

  test("the bootstrap's state is not encrypted client-side: it manages the key that would decrypt it", () => {
    expect(synthApp(OPENTOFU_KMS)["nexus-bootstrap"].json.terraform.encryption).toBeUndefined();
  });

  test("kms-migrate reads an unencrypted state once (the fallback) and writes it encrypted", () => {
    const block = synthApp({ ...OPENTOFU_KMS, NEXUS_STATE_ENCRYPTION: "kms-migrate" })["nexus-dev"].json.terraform
      .encryption;
    expect(block.method.unencrypted).toEqual({ migrate: {} });
    // OpenTofu refuses `enforced` next to an unencrypted fallback.
    expect(block.state).toEqual({
      method: "method.aes_gcm.state",
      enforced: false,
      fallback: { method: "method.unencrypted.migrate" },
    });
    expect(block.plan).toEqual(block.state);
  });

  test("the local target: the key provider trusts the emulator's CA and uses the test credentials", () => {
    const env = {
      ...OPENTOFU_KMS,
      NEXUS_LOCAL_ENDPOINT: "https://127.0.0.1:4566",
      NEXUS_LOCAL_CA_BUNDLE: "/repo/.local/tls/ca.pem",
      AWS_ENDPOINT_URL_KMS: "https://127.0.0.1:4566",
    };
    expect(synthApp(env)["nexus-dev"].json.terraform.encryption.key_provider.aws_kms.state).toMatchObject({
      endpoints: { iam: "https://127.0.0.1:4566", sts: "https://127.0.0.1:4566" },
      custom_ca_bundle: "/repo/.local/tls/ca.pem",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
    });
  });

  test.each([
    [
      "on Terraform",
      { ...REMOTE, NEXUS_STATE_ENCRYPTION: "kms" },
      /^nexus state backend: NEXUS_STATE_ENCRYPTION=kms needs NEXUS_ENGINE=opentofu, got terraform: Terraform has no client-side state encryption and refuses the terraform.encryption block$/,
    ],
    [
      "without the state key",
      { ...OPENTOFU_KMS, NEXUS_STATE_KMS_KEY_ARN: undefined },
      /NEXUS_STATE_ENCRYPTION=kms encrypts with the state key, so NEXUS_STATE_KMS_KEY_ARN \(nexusState.kmsKeyArn\) must be set too/,
    ],
    [
      "an unknown mode",
      { ...OPENTOFU_KMS, NEXUS_STATE_ENCRYPTION: "aes" },
      /must be one of none, kms, kms-migrate, got "aes"/,
    ],
  ])("is refused %s, in one line", (_, env, message) => {
    expect(() => remoteStateSettings(env, undefined)).toThrow(message);
  });

  test("the local target without AWS_ENDPOINT_URL_KMS is refused: the test credentials would go to AWS", () => {
    const env = {
      ...OPENTOFU_KMS,
      NEXUS_LOCAL_ENDPOINT: "https://127.0.0.1:4566",
      NEXUS_LOCAL_CA_BUNDLE: "/repo/.local/tls/ca.pem",
    };
    expect(() => synthApp(env)).toThrow(/needs AWS_ENDPOINT_URL_KMS=https:\/\/127.0.0.1:4566 .* got undefined/);
  });

  test("the setting also comes from the nexusState context of cdktf.json", () => {
    const context = { bucket: "b-bucket", lockTable: "locks", region: "us-east-1", kmsKeyArn: KEY, encryption: "kms" };
    expect(remoteStateSettings({ NEXUS_ENGINE: "opentofu" }, context)?.encryption).toBe("kms");
  });
});
