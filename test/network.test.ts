import { Testing } from "cdktf";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Route } from "@cdktf/provider-aws/lib/route";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { INTERFACE_ENDPOINT_SERVICES } from "../stacks/network/network";
import { internetPathViolations, openCidrViolations } from "./invariants";
import { Synthesized, nexusStack, synthNexus, synthesize } from "./synth";

describe.each(["dev", "prod"])("the %s network has no path to or from the internet", (env) => {
  const synth = synthNexus(env);

  test("no internet gateway, NAT, EIP, public subnet, default route, public IP or public database", () => {
    expect(internetPathViolations(synth.json)).toEqual([]);
  });

  test("no security group rule or route is open to 0.0.0.0/0 or ::/0", () => {
    expect(openCidrViolations(synth.json)).toEqual([]);
  });
});

describe("the no-internet invariant bites", () => {
  // GIVEN a valid stack, WHEN someone adds an internet path, THEN the invariant names it.
  test("an internet gateway is caught", () => {
    const stack = nexusStack("dev");
    new InternetGateway(stack, "igw", { vpcId: stack.network.vpc.id });
    expect(internetPathViolations(synthesize(stack).json)).toEqual([
      expect.stringMatching(/^aws_internet_gateway\.igw: internet-facing/),
    ]);
  });

  test("a NAT gateway is caught", () => {
    const stack = nexusStack("dev");
    new NatGateway(stack, "nat", { subnetId: stack.network.subnetIds[0], connectivityType: "public" });
    expect(internetPathViolations(synthesize(stack).json)).toEqual([expect.stringMatching(/^aws_nat_gateway\.nat:/)]);
  });

  test("a public subnet is caught", () => {
    const stack = nexusStack("dev");
    new Subnet(stack, "public", {
      vpcId: stack.network.vpc.id,
      cidrBlock: "10.40.240.0/20",
      mapPublicIpOnLaunch: true,
    });
    expect(internetPathViolations(synthesize(stack).json)).toEqual([
      expect.stringMatching(/^aws_subnet\.public: map_public_ip_on_launch/),
    ]);
  });

  test("a default route and an open ingress rule are caught", () => {
    const stack = nexusStack("dev");
    new Route(stack, "default", {
      routeTableId: stack.network.routeTableIds[0],
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: "igw-123",
    });
    new VpcSecurityGroupIngressRule(stack, "open", {
      securityGroupId: stack.network.endpointSecurityGroup.id,
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "-1",
    });
    const json = synthesize(stack).json;
    expect(internetPathViolations(json)).toContainEqual(expect.stringMatching(/^aws_route\.default:/));
    const open = openCidrViolations(json);
    expect(open).toHaveLength(2);
    expect(open).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_route\.default:/),
        expect.stringMatching(/^aws_vpc_security_group_ingress_rule\.open:/),
      ]),
    );
  });
});

describe("network layout", () => {
  const synth = synthNexus("dev");

  test("the VPC uses the configured CIDR with DNS support for private endpoints", () => {
    expect(Testing.synth(nexusStack("dev"))).toHaveResourceWithProperties(Vpc, {
      cidr_block: "10.40.0.0/16",
      enable_dns_hostnames: true,
      enable_dns_support: true,
    });
  });

  test("one isolated subnet per AZ, carved from the VPC CIDR, no public IPs", () => {
    const subnets = Object.values(synth.resources("aws_subnet"));
    expect(subnets.map((s) => [s.availability_zone, s.cidr_block, s.map_public_ip_on_launch])).toEqual([
      ["us-east-1a", "10.40.0.0/20", false],
      ["us-east-1b", "10.40.16.0/20", false],
    ]);
  });

  test("three AZs give three subnets and three route tables", () => {
    const three = synthesize(
      nexusStack("dev", { network: { availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] } }),
    );
    expect(Object.keys(three.resources("aws_subnet"))).toHaveLength(3);
    expect(Object.keys(three.resources("aws_route_table"))).toHaveLength(3);
  });

  test("route tables carry no routes; each subnet is associated with its own", () => {
    for (const table of Object.values(synth.resources("aws_route_table"))) expect(table.route).toBeUndefined();
    expect(Object.keys(synth.resources("aws_route_table_association"))).toHaveLength(2);
  });

  test("the default security group is taken over with no rules", () => {
    const sg = synth.only("aws_default_security_group");
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
  });

  test("VPC flow logs capture all traffic into a KMS-encrypted log group", () => {
    expect(synth.only("aws_flow_log")).toMatchObject({ traffic_type: "ALL", log_destination_type: "cloud-watch-logs" });
    const group = synth.named("aws_cloudwatch_log_group", "flow-log");
    expect(group.kms_key_id).toBe(`\${${synth.address("aws_kms_key", "data-key")}.arn}`);
    expect(group.retention_in_days).toBe(365);
  });
});

describe("VPC endpoints", () => {
  const synth = synthNexus("dev");
  const endpoints = Object.values(synth.resources("aws_vpc_endpoint"));
  const endpointSg = `\${${synth.address("aws_security_group", "endpoint-sg")}.id}`;
  const workerSg = `\${${synth.address("aws_security_group", "worker_sg")}.id}`;

  test("an S3 gateway endpoint sits on every isolated route table", () => {
    const s3 = endpoints.find((e) => e.vpc_endpoint_type === "Gateway")!;
    expect(s3.service_name).toBe("com.amazonaws.us-east-1.s3");
    expect(s3.route_table_ids).toHaveLength(2);
  });

  test("the S3 endpoint policy reaches only the ingest bucket and the ECR layer bucket, read-only", () => {
    const s3 = endpoints.find((e) => e.vpc_endpoint_type === "Gateway")!;
    const [statement] = Synthesized.policy(s3.policy).Statement;
    expect(statement.Action).toEqual(["s3:GetObject", "s3:GetObjectVersion"]);
    expect(statement.Resource).toEqual([
      `\${${synth.address("aws_s3_bucket", "ingest_bucket")}.arn}/*`,
      `arn:\${data.aws_partition.${Object.keys(synth.json.data.aws_partition)[0]}.partition}:s3:::prod-us-east-1-starport-layer-bucket/*`,
    ]);
  });

  test.each(INTERFACE_ENDPOINT_SERVICES)(
    "an interface endpoint for %s with private DNS in every subnet, behind the endpoint group",
    (service) => {
      const endpoint = endpoints.find((e) => e.service_name === `com.amazonaws.us-east-1.${service}`)!;
      expect(endpoint).toMatchObject({
        vpc_endpoint_type: "Interface",
        private_dns_enabled: true,
        security_group_ids: [endpointSg],
      });
      expect(endpoint.subnet_ids).toHaveLength(2);
    },
  );

  test("the endpoint group admits HTTPS from the worker's group and nothing else", () => {
    const ingress = Object.values(synth.resources("aws_vpc_security_group_ingress_rule")).filter(
      (r) => r.security_group_id === endpointSg,
    );
    expect(ingress).toEqual([
      expect.objectContaining({
        referenced_security_group_id: workerSg,
        from_port: 443,
        to_port: 443,
        ip_protocol: "tcp",
      }),
    ]);
  });

  test("the worker's only egress is HTTPS to the endpoints and S3, and 5432 to the database", () => {
    const egress = Object.values(synth.resources("aws_vpc_security_group_egress_rule")).filter(
      (r) => r.security_group_id === workerSg,
    );
    const dbSg = `\${${synth.address("aws_security_group", "database_sg")}.id}`;
    expect(egress.map((r) => [r.referenced_security_group_id ?? r.prefix_list_id, r.from_port])).toEqual(
      expect.arrayContaining([
        [endpointSg, 443],
        [`\${${synth.address("aws_vpc_endpoint", "s3-gateway")}.prefix_list_id}`, 443],
        [dbSg, 5432],
      ]),
    );
    expect(egress).toHaveLength(3);
  });
});

describe("the data perimeter on the interface endpoints", () => {
  const synth = synthNexus("dev");
  const policyOf = (service: string) => {
    const endpoint = Object.values(synth.resources("aws_vpc_endpoint")).find((e) =>
      e.service_name.endsWith(`.${service}`),
    )!;
    return Synthesized.policy(endpoint.policy).Statement;
  };
  const account = expect.stringMatching(/^\$\{data\.aws_caller_identity\.\S+\.account_id\}$/);

  test.each([
    ["sqs", [["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]]],
    ["secretsmanager", [["secretsmanager:GetSecretValue"]]],
    ["logs", [["logs:CreateLogStream", "logs:PutLogEvents"]]],
    [
      "ecr.api",
      [
        ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        ["ecr:GetAuthorizationToken"],
      ],
    ],
    [
      "ecr.dkr",
      [
        ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        ["ecr:GetAuthorizationToken"],
      ],
    ],
  ])(
    "%s admits only this account's principals, only the workload's actions, on this account's resources",
    (service, actions) => {
      const statements = policyOf(service);
      expect(statements.map((s) => s.Action)).toEqual(actions);
      for (const statement of statements) {
        expect(statement).toMatchObject({ Effect: "Allow", Principal: "*" });
        expect(statement.Condition.StringEquals["aws:PrincipalAccount"]).toEqual(account);
        if (statement.Resource[0] === "*") expect(statement.Action).toEqual(["ecr:GetAuthorizationToken"]);
        else expect(statement.Condition.StringEquals["aws:ResourceAccount"]).toEqual(account);
      }
    },
  );

  test("the queue, the secret and the log group are named exactly", () => {
    expect(policyOf("sqs")[0].Resource).toEqual([`\${${synth.address("aws_sqs_queue", "ingest_queue")}.arn}`]);
    expect(policyOf("secretsmanager")[0].Resource).toEqual([
      `\${${synth.address("aws_db_instance", "database_instance")}.master_user_secret[0].secret_arn}`,
    ]);
    expect(policyOf("logs")[0].Resource).toEqual([
      `\${${synth.address("aws_cloudwatch_log_group", "worker_logs")}.arn}:*`,
    ]);
  });
});
