/**
 * The local target changes where Terraform talks to, never what it builds: with it on, only the
 * provider and backend blocks differ, for every stack; with it off, none of its keys appear.
 */
import { App } from "cdktf";
import { buildApp, repoRoot } from "../stacks/app/app";
import { localTargetSettings } from "../stacks/app/local-target";
import { Block } from "./synth";

const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nexus-dev-worker:v1";
const LOCAL = { NEXUS_LOCAL_ENDPOINT: "https://127.0.0.1:4566", NEXUS_LOCAL_CA_BUNDLE: "/repo/.local/tls/ca.pem" };
const REMOTE = { NEXUS_STATE_BUCKET: "state", NEXUS_STATE_LOCK_TABLE: "locks", NEXUS_STATE_REGION: "us-east-1" };

function synthAll(env: NodeJS.ProcessEnv): Record<string, Block> {
  const app = new App({ outdir: "/tmp/unused", skipValidation: true });
  buildApp(app, { repoRoot: repoRoot(), env: { NEXUS_WORKER_IMAGE: IMAGE, ...env } });
  return Object.fromEntries(
    app.node.children.map((stack) => [stack.node.id, (stack as unknown as { toTerraform(): Block }).toTerraform()]),
  );
}

const off = synthAll(REMOTE);
const on = synthAll({ ...REMOTE, ...LOCAL });
const LOCAL_KEYS = [
  "endpoints",
  "custom_ca_bundle",
  "access_key",
  "secret_key",
  "s3_use_path_style",
  "use_path_style",
  "skip_credentials_validation",
  "skip_metadata_api_check",
];

describe.each(Object.keys(off))("%s", (stack) => {
  test("with the local target off, neither the provider nor the backend carries any of its keys", () => {
    const blocks = JSON.stringify([off[stack].provider, off[stack].terraform.backend]);
    for (const key of LOCAL_KEYS) expect(blocks).not.toContain(`"${key}"`);
  });

  test("with it on, resources, data sources and outputs are identical", () => {
    for (const section of ["resource", "data", "output"]) expect(on[stack][section]).toEqual(off[stack][section]);
  });

  test("with it on, the provider and the backend point at the emulator and trust its CA", () => {
    const [provider] = on[stack].provider.aws;
    expect(provider).toMatchObject({ custom_ca_bundle: LOCAL.NEXUS_LOCAL_CA_BUNDLE, s3_use_path_style: true });
    expect(Object.values(provider.endpoints[0])).toEqual(expect.arrayContaining([LOCAL.NEXUS_LOCAL_ENDPOINT]));
    expect(new Set(Object.values(provider.endpoints[0]))).toEqual(new Set([LOCAL.NEXUS_LOCAL_ENDPOINT]));
    expect(on[stack].terraform.backend.s3).toMatchObject({
      custom_ca_bundle: LOCAL.NEXUS_LOCAL_CA_BUNDLE,
      use_path_style: true,
    });
    expect(on[stack].terraform.backend.s3.endpoints.s3).toBe(LOCAL.NEXUS_LOCAL_ENDPOINT);
  });

  test("nothing else in the stack differs", () => {
    const rest = (json: Block) => ({
      ...json,
      provider: undefined,
      terraform: { ...json.terraform, backend: undefined },
    });
    expect(rest(on[stack])).toEqual(rest(off[stack]));
  });
});

describe("the local target setting", () => {
  test.each([
    ["an address off this machine", "https://10.0.0.5:4566", /loopback/],
    ["plain HTTP", "http://127.0.0.1:4566", /https on a loopback/],
    ["a host name that is not localhost", "https://moto.internal:4566", /loopback/],
    ["not a URL", "127.0.0.1:4566", /must be https|must be a URL/],
  ])("refuses %s", (_what, endpoint, message) => {
    expect(() => localTargetSettings({ ...LOCAL, NEXUS_LOCAL_ENDPOINT: endpoint })).toThrow(message);
  });

  test("needs the emulator's CA: TLS is verified, never skipped", () => {
    expect(() => localTargetSettings({ NEXUS_LOCAL_ENDPOINT: LOCAL.NEXUS_LOCAL_ENDPOINT })).toThrow(
      /NEXUS_LOCAL_CA_BUNDLE/,
    );
  });

  test("is off unless set: missing credentials do not switch it on", () => {
    expect(localTargetSettings({ AWS_ACCESS_KEY_ID: undefined })).toBeUndefined();
  });
});
