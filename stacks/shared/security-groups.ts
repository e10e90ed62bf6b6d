import { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";

/**
 * A security group with no rules. Rules are added as standalone resources by `allowTcp`, so
 * groups can reference each other without a dependency cycle and every rule has a description.
 */
export function emptySecurityGroup(
  scope: Construct,
  id: string,
  name: string,
  vpcId: string,
  description: string,
): SecurityGroup {
  return new SecurityGroup(scope, id, {
    name,
    description,
    vpcId,
    // No inline rules: an inline block would make Terraform fight the standalone rules.
    tags: { Name: name },
  });
}

export interface TcpPath {
  readonly from: SecurityGroup;
  readonly to: SecurityGroup;
  readonly port: number;
  readonly description: string;
}

/** Lets `from` open TCP connections to `to` on `port`: an egress rule on one, an ingress rule on the other. */
export function allowTcp(scope: Construct, id: string, path: TcpPath): void {
  new VpcSecurityGroupEgressRule(scope, `${id}-egress`, {
    securityGroupId: path.from.id,
    referencedSecurityGroupId: path.to.id,
    ipProtocol: "tcp",
    fromPort: path.port,
    toPort: path.port,
    description: path.description,
  });
  new VpcSecurityGroupIngressRule(scope, `${id}-ingress`, {
    securityGroupId: path.to.id,
    referencedSecurityGroupId: path.from.id,
    ipProtocol: "tcp",
    fromPort: path.port,
    toPort: path.port,
    description: path.description,
  });
}
