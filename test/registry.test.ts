import { nexusStack, synthNexus, synthesize } from "./synth";

describe("the worker registry", () => {
  const synth = synthNexus("dev");

  test("has immutable tags, scan on push and KMS encryption", () => {
    expect(synth.only("aws_ecr_repository")).toMatchObject({
      name: "nexus-dev-worker",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [
        { encryption_type: "KMS", kms_key: `\${${synth.address("aws_kms_key", "data-key")}.arn}` },
      ],
    });
  });

  test("keeps the last N images", () => {
    const [rule] = JSON.parse(synth.only("aws_ecr_lifecycle_policy").policy).rules;
    expect(rule.selection).toEqual({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 });
  });

  test("builds the Dockerfile at the repository root, tagged by the worker source hash", () => {
    const image = synth.only("docker_image");
    expect(image.name).toMatch(/:0123456789abcdef$/);
    expect(image.build).toMatchObject({ context: "${path.module}/../../..", dockerfile: "Dockerfile" });
    expect(image.triggers).toEqual({ source_hash: "0123456789abcdef" });
  });

  test("a prebuilt image URI replaces the build: no Docker provider, no image resources", () => {
    const uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nexus-dev-worker:v1";
    const prebuilt = synthesize(nexusStack("dev", { worker: { imageUri: uri } }));
    expect(prebuilt.resources("docker_image")).toEqual({});
    expect(prebuilt.json.provider.docker).toBeUndefined();
    expect(JSON.parse(prebuilt.only("aws_ecs_task_definition").container_definitions)[0].image).toBe(uri);
  });
});
