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

  test("builds for Fargate's platform, keeps the build's log beside the stack, on the engine's network", () => {
    expect(synth.only("docker_image").build).toEqual({
      context: "${path.module}/../../..",
      dockerfile: "Dockerfile",
      platform: "linux/amd64",
      build_log_file: "${path.module}/worker-image-build.log",
    });
    const onHost = synthesize(nexusStack("dev", {}, { network: "host" }));
    expect(onHost.only("docker_image").build.network_mode).toBe("host");
  });

  test("pins the Docker provider npm run setup builds (4.6.0), not the binding's ~> 3.0", () => {
    expect(synth.json.terraform.required_providers.docker).toEqual({ source: "kreuzwerker/docker", version: "4.6.0" });
  });

  test("a prebuilt image URI replaces the build: no Docker provider, no image resources", () => {
    const uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nexus-dev-worker:v1";
    const prebuilt = synthesize(nexusStack("dev", { worker: { imageUri: uri } }));
    expect(prebuilt.resources("docker_image")).toEqual({});
    expect(prebuilt.json.provider.docker).toBeUndefined();
    expect(JSON.parse(prebuilt.only("aws_ecs_task_definition").container_definitions)[0].image).toBe(uri);
  });

  describe("a prebuilt image", () => {
    const uri = "210987654321.dkr.ecr.us-east-1.amazonaws.com/team/worker@sha256:" + "a".repeat(64);
    const prebuilt = synthesize(nexusStack("dev", { worker: { imageUri: uri } }));

    test("is pulled with exactly the repository its URI names, not the stack's own", () => {
      const execution = Object.values(prebuilt.resources("aws_iam_role_policy")).find((p) =>
        p.name.endsWith("-execution"),
      )!;
      const [pull] = JSON.parse(execution.policy).Statement;
      expect(pull.Action).toEqual([
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
      ]);
      expect(pull.Resource).toEqual([
        expect.stringMatching(
          /^arn:\$\{data\.aws_partition\.\S+\.partition\}:ecr:us-east-1:210987654321:repository\/team\/worker$/,
        ),
      ]);
    });

    test("must belong to the deploying account: a precondition Terraform checks at plan time", () => {
      const [check] = prebuilt.json.output.worker_image_uri.precondition;
      expect(check.condition).toMatch(/^\$\{"210987654321" == data\.aws_caller_identity\.\S+\.account_id\}$/);
      expect(check.error_message).toMatch(/names account 210987654321, not the account this stack deploys to/);
    });

    test("a built image needs no such check", () => {
      expect(synthNexus("dev").json.output.worker_image_uri.precondition).toBeUndefined();
    });
  });
});
