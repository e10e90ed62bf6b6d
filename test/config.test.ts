import { ConfigError, resolveConfig, visibilityTimeoutSeconds } from "../stacks/config/config";
import { cidrSubnet, parseCidr } from "../stacks/shared/cidr";

describe("config presets", () => {
  test("dev is single-AZ and destroyable, and keeps logs a year like prod", () => {
    const dev = resolveConfig("dev");
    expect(dev.database).toMatchObject({
      multiAz: false,
      deletionProtection: false,
      finalSnapshot: false,
      logRetentionDays: 365,
    });
    expect(dev.worker.logRetentionDays).toBe(365);
    expect(dev.network.flowLogRetentionDays).toBe(365);
    expect(dev.ingest.forceDestroy).toBe(true);
  });

  test("prod is multi-AZ, deletion-protected, keeps a final snapshot and a year of logs, runs two tasks", () => {
    const prod = resolveConfig("prod");
    expect(prod.database).toMatchObject({
      multiAz: true,
      deletionProtection: true,
      finalSnapshot: true,
      backupRetentionDays: 14,
    });
    expect(prod.worker).toMatchObject({ logRetentionDays: 365, desiredCount: 2, minCount: 2 });
    expect(prod.ingest.forceDestroy).toBe(false);
  });

  test("both run the seeds' worker size: 0.25 vCPU and 512 MB", () => {
    for (const env of ["dev", "prod"]) expect(resolveConfig(env).worker).toMatchObject({ cpu: 256, memoryMiB: 512 });
  });

  test("multi-AZ is one override away", () => {
    expect(resolveConfig("dev", { database: { multiAz: true } }).database.multiAz).toBe(true);
  });

  test("the queue's visibility timeout is twice the worker's processing budget", () => {
    expect(visibilityTimeoutSeconds(resolveConfig("dev", { worker: { processingBudgetSeconds: 90 } }).worker)).toBe(
      180,
    );
  });

  test("availability zones default to the first two of the region", () => {
    expect(resolveConfig("dev", { region: "eu-central-1" }).network.availabilityZones).toEqual([
      "eu-central-1a",
      "eu-central-1b",
    ]);
  });
});

describe("config validation names the key, the value and what is allowed", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["an unknown environment", () => resolveConfig("staging"), /environment must be one of dev, prod, got "staging"/],
    [
      "a CIDR that is not one",
      () => resolveConfig("dev", { network: { vpcCidr: "10.0.0.0/33" } }),
      /network\.vpcCidr must be an IPv4 CIDR with a prefix from \/16 to \/22, got "10\.0\.0\.0\/33"/,
    ],
    [
      "a CIDR with host bits set",
      () => resolveConfig("dev", { network: { vpcCidr: "10.0.0.1/16" } }),
      /network\.vpcCidr .* got "10\.0\.0\.1\/16"/,
    ],
    [
      "a VPC too small for endpoints and tasks",
      () => resolveConfig("dev", { network: { vpcCidr: "10.0.0.0/24" } }),
      /network\.vpcCidr/,
    ],
    [
      "fewer than two AZs",
      () => resolveConfig("dev", { network: { availabilityZones: ["us-east-1a"] } }),
      /network\.availabilityZones must be 2 to 4 distinct availability zones of the region, got \["us-east-1a"\]/,
    ],
    [
      "an AZ of another region",
      () => resolveConfig("dev", { network: { availabilityZones: ["us-east-1a", "eu-west-1b"] } }),
      /a zone of region us-east-1 .* got "eu-west-1b"/,
    ],
    [
      "a CPU/memory pair Fargate rejects",
      () => resolveConfig("dev", { worker: { cpu: 256, memoryMiB: 4096 } }),
      /worker\.memoryMiB must be a memory Fargate accepts with cpu 256 \(512, 1024, 2048\), got 4096/,
    ],
    [
      "a CPU value Fargate does not have",
      () => resolveConfig("dev", { worker: { cpu: 300 } }),
      /worker\.cpu must be a Fargate CPU value .* got 300/,
    ],
    [
      "a retention CloudWatch does not allow",
      () => resolveConfig("dev", { worker: { logRetentionDays: 10 } }),
      /worker\.logRetentionDays must be a CloudWatch Logs retention \(1, 3, 5, 7, 14, .*\), got 10/,
    ],
    [
      "flow-log retention likewise",
      () => resolveConfig("dev", { network: { flowLogRetentionDays: 0 } }),
      /network\.flowLogRetentionDays/,
    ],
    [
      "a desired count outside min..max",
      () => resolveConfig("dev", { worker: { desiredCount: 9 } }),
      /worker\.desiredCount must be an integer from 1 to 2, got 9/,
    ],
    [
      "a zero receive count",
      () => resolveConfig("dev", { ingest: { maxReceiveCount: 0 } }),
      /ingest\.maxReceiveCount must be an integer from 1 to 1000, got 0/,
    ],
    [
      "disabled backups",
      () => resolveConfig("prod", { database: { backupRetentionDays: 0 } }),
      /database\.backupRetentionDays must be an integer from 1 to 35, got 0/,
    ],
    [
      "an image without tag or digest",
      () => resolveConfig("dev", { worker: { imageUri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker" } }),
      /worker\.imageUri must be an ECR image with a tag or digest/,
    ],
    [
      "an image outside ECR (no internet path to pull it)",
      () => resolveConfig("dev", { worker: { imageUri: "docker.io/library/node:22" } }),
      /worker\.imageUri must be an ECR image/,
    ],
    [
      "an ECR image of another region",
      () => resolveConfig("dev", { worker: { imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:v1" } }),
      /worker\.imageUri must be an ECR image in us-east-1: tasks pull only through this region's VPC endpoints, got/,
    ],
    ["a region that is not one", () => resolveConfig("dev", { region: "mars-1" }), /region must be an AWS region name/],
  ];
  test.each(cases)("rejects %s", (_name, build, message) => {
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });

  test("accepts a prebuilt image by tag or digest", () => {
    const uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nexus-dev-worker:abc123";
    expect(resolveConfig("dev", { worker: { imageUri: uri } }).worker.imageUri).toBe(uri);
  });
});

describe("CIDR arithmetic", () => {
  test("cidrSubnet matches Terraform's cidrsubnet()", () => {
    expect(cidrSubnet("10.40.0.0/16", 4, 0)).toBe("10.40.0.0/20");
    expect(cidrSubnet("10.40.0.0/16", 4, 1)).toBe("10.40.16.0/20");
    expect(cidrSubnet("172.16.0.0/22", 4, 3)).toBe("172.16.0.192/26");
  });

  test("parseCidr refuses octets over 255 and prefixes over 32", () => {
    expect(parseCidr("256.0.0.0/16")).toBeUndefined();
    expect(parseCidr("10.0.0.0/40")).toBeUndefined();
    expect(parseCidr("10.0.0.0/16")).toEqual({ base: 10 * 2 ** 24, prefix: 16 });
  });

  test("cidrSubnet refuses a block that does not fit", () => {
    expect(() => cidrSubnet("10.0.0.0/16", 4, 16)).toThrow(/does not fit/);
  });
});
