import { Construct } from "constructs";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { AwsContext } from "../shared/aws-context";
import { cidrSubnet } from "../shared/cidr";
import { DataKey } from "../encryption/data-key";
import { emptySecurityGroup, allowTcp } from "../shared/security-groups";
import { PolicyStatement, policyJson, withinAccount } from "../shared/iam";
import { VpcFlowLog } from "./vpc-flow-log";

/** Interface endpoints the worker needs with no internet path: queue, image pull, logs, secrets. */
export const INTERFACE_ENDPOINT_SERVICES = ["sqs", "ecr.api", "ecr.dkr", "logs", "secretsmanager"] as const;
export type InterfaceService = (typeof INTERFACE_ENDPOINT_SERVICES)[number];

export interface NetworkProps {
  readonly aws: AwsContext;
  /** Name prefix, e.g. `nexus-dev`. */
  readonly name: string;
  readonly vpcCidr: string;
  /** One isolated subnet per zone; at least two. */
  readonly availabilityZones: readonly string[];
  readonly flowLogRetentionDays: number;
  readonly dataKey: DataKey;
  /**
   * Object ARNs (`arn:...:bucket/*`) the S3 gateway endpoint lets traffic reach. Anything else
   * is refused at the endpoint, so a stolen credential cannot copy data to a foreign bucket.
   */
  readonly s3ObjectArns: readonly string[];
}

/**
 * A VPC with isolated subnets only: no internet or NAT gateway, no public IPs, no default
 * route. AWS services are reached through one S3 gateway endpoint and interface endpoints.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly subnetIds: string[];
  readonly routeTableIds: string[];
  readonly endpointSecurityGroup: SecurityGroup;
  /** Managed prefix list of the S3 gateway endpoint, for egress rules to S3. */
  readonly s3PrefixListId: string;
  readonly interfaceEndpoints = {} as Record<InterfaceService, VpcEndpoint>;
  private readonly accountId: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { name } = props;
    this.accountId = props.aws.accountId;
    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      enableDnsHostnames: true, // required for interface endpoints' private DNS
      enableDnsSupport: true,
      tags: { Name: name },
    });
    // Take over the default group and leave it with no rules: nothing can use it by accident.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id, tags: { Name: `${name}-default-deny` } });

    this.subnetIds = [];
    this.routeTableIds = [];
    props.availabilityZones.forEach((az, i) => this.isolatedSubnet(props, az, i));

    new VpcFlowLog(this, "flow-log", {
      aws: props.aws,
      name,
      vpcId: this.vpc.id,
      retentionDays: props.flowLogRetentionDays,
      dataKey: props.dataKey,
    });

    const s3 = this.s3GatewayEndpoint(props);
    this.s3PrefixListId = s3.prefixListId;
    this.endpointSecurityGroup = emptySecurityGroup(
      this,
      "endpoint-sg",
      `${name}-endpoints`,
      this.vpc.id,
      "Interface endpoints: HTTPS from the workload only",
    );
    for (const service of INTERFACE_ENDPOINT_SERVICES) this.interfaceEndpoint(props, service);
  }

  /**
   * Lets `client` reach the interface endpoints (443) and S3 through the gateway endpoint.
   * The only egress a workload in this VPC gets.
   */
  admitToAwsServices(client: SecurityGroup): void {
    allowTcp(this, `${client.friendlyUniqueId}-to-endpoints`, {
      from: client,
      to: this.endpointSecurityGroup,
      port: 443,
      description: "HTTPS to VPC interface endpoints",
    });
    new VpcSecurityGroupEgressRule(this, `${client.friendlyUniqueId}-to-s3`, {
      securityGroupId: client.id,
      prefixListId: this.s3PrefixListId,
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      description: "HTTPS to S3 through the gateway endpoint",
    });
  }

  private isolatedSubnet(props: NetworkProps, az: string, index: number): void {
    const subnet = new Subnet(this, `isolated-${index}`, {
      vpcId: this.vpc.id,
      availabilityZone: az,
      // /16 -> /20 blocks: room for endpoint ENIs and tasks, and for 16 subnets in all.
      cidrBlock: cidrSubnet(props.vpcCidr, 4, index),
      mapPublicIpOnLaunch: false,
      tags: { Name: `${props.name}-isolated-${az}`, Tier: "isolated" },
    });
    // A route table with no routes besides the implicit local one: no default route exists.
    const table = new RouteTable(this, `isolated-rt-${index}`, {
      vpcId: this.vpc.id,
      tags: { Name: `${props.name}-isolated-${az}` },
    });
    new RouteTableAssociation(this, `isolated-rta-${index}`, { subnetId: subnet.id, routeTableId: table.id });
    this.subnetIds.push(subnet.id);
    this.routeTableIds.push(table.id);
  }

  private s3GatewayEndpoint(props: NetworkProps): VpcEndpoint {
    const partition = props.aws.partition;
    return new VpcEndpoint(this, "s3-gateway", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.aws.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: this.routeTableIds,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "WorkloadBucketsOnly",
            Effect: "Allow",
            // Endpoint policies name the caller with "*"; the caller's own IAM policy still applies.
            Principal: "*",
            Action: ["s3:GetObject", "s3:GetObjectVersion"],
            Resource: [
              ...props.s3ObjectArns,
              // ECR stores image layers in this AWS-owned bucket; image pulls fail without it.
              `arn:${partition}:s3:::prod-${props.aws.region}-starport-layer-bucket/*`,
            ],
          },
        ],
      }),
      tags: { Name: `${props.name}-s3` },
    });
  }

  /**
   * Data perimeter on every interface endpoint: only this account's principals, only this account's
   * resources, only the actions and resources the workload is granted (AWS's guidance against
   * reaching other accounts' queues and secrets through our endpoints). Called once those resources
   * exist; every interface service must be given its grants.
   */
  restrictEndpoints(grants: Record<InterfaceService, readonly PolicyStatement[]>): void {
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      this.interfaceEndpoints[service].policy = policyJson(
        grants[service].map((g) => withinAccount(g, this.accountId)),
      );
    }
  }

  private interfaceEndpoint(props: NetworkProps, service: InterfaceService): void {
    this.interfaceEndpoints[service] = new VpcEndpoint(this, `endpoint-${service.replace(".", "-")}`, {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.aws.region}.${service}`,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      subnetIds: this.subnetIds,
      securityGroupIds: [this.endpointSecurityGroup.id],
      tags: { Name: `${props.name}-${service}` },
    });
  }
}
