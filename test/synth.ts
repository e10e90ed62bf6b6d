/** Synthesizes stacks for tests and gives typed access to the resulting Terraform JSON. */
import { Testing, TerraformStack } from "cdktf";
import { NexusOverrides, resolveConfig } from "../stacks/config/config";
import { NexusStack } from "../stacks/app/nexus-stack";
import { BootstrapStack } from "../stacks/app/bootstrap-stack";
import { StateBackendChoice } from "../stacks/state/remote-state";

// Terraform JSON: values are as open as the format itself, and tests read them by path.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Block = Record<string, any>;

export class Synthesized {
  constructor(readonly json: Block) {}

  /** All resources of one Terraform type, keyed by logical id ({} when there are none). */
  resources(type: string): Record<string, Block> {
    return this.json.resource?.[type] ?? {};
  }

  /** The single resource of `type`; fails the test if there are zero or several. */
  only(type: string): Block {
    const all = Object.values(this.resources(type));
    if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
    return all[0];
  }

  /** The resource of `type` whose logical id contains `fragment`. */
  named(type: string, fragment: string): Block {
    const matches = Object.entries(this.resources(type)).filter(([id]) => id.includes(fragment));
    if (matches.length !== 1)
      throw new Error(`expected one ${type} with id containing ${fragment}, found ${matches.length}`);
    return matches[0][1];
  }

  /** The Terraform address of the resource of `type` whose id contains `fragment`, e.g. `aws_vpc.network_vpc_1234`. */
  address(type: string, fragment: string): string {
    const id = Object.keys(this.resources(type)).find((key) => key.includes(fragment));
    if (!id) throw new Error(`no ${type} with id containing ${fragment}`);
    return `${type}.${id}`;
  }

  /** A policy document stored as a JSON string attribute, parsed. */
  static policy(text: string): { Statement: Block[] } {
    return JSON.parse(text);
  }
}

export function synthesize(stack: TerraformStack): Synthesized {
  return new Synthesized(JSON.parse(Testing.synth(stack)));
}

export const TEST_IMAGE_BUILD = { sourceHash: "0123456789abcdef", contextDir: "../../.." };
/** Local state, as without NEXUS_STATE_* settings. */
export const TEST_STATE: StateBackendChoice = { localStateDir: "/repo/.state" };

export function nexusStack(
  environment = "dev",
  overrides: NexusOverrides = {},
  imageBuild: Partial<typeof TEST_IMAGE_BUILD & { network: string }> = {},
): NexusStack {
  const app = Testing.app();
  return new NexusStack(app, `nexus-${environment}`, {
    config: resolveConfig(environment, overrides),
    imageBuild: { ...TEST_IMAGE_BUILD, ...imageBuild },
    state: TEST_STATE,
  });
}

const cache = new Map<string, Synthesized>();
/** Synthesizes one environment with defaults; cached, since most tests only read it. */
export function synthNexus(environment = "dev"): Synthesized {
  if (!cache.has(environment)) cache.set(environment, synthesize(nexusStack(environment)));
  return cache.get(environment)!;
}

export function synthBootstrap(state: StateBackendChoice = TEST_STATE): Synthesized {
  return synthesize(
    new BootstrapStack(Testing.app(), "nexus-bootstrap", { project: "nexus", region: "us-east-1", state }),
  );
}
