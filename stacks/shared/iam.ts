/**
 * IAM policy documents as typed data. Constructs expose `grant*` methods that return these
 * statements, so each permission is written next to the resource it is granted on.
 */

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Principal?: Record<string, string | readonly string[]> | "*";
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/** Renders a policy document. Token strings inside become Terraform interpolations. */
export function policyJson(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Trust policy letting one AWS service assume a role, scoped to this account. */
export function assumeRolePolicy(service: string, accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        // Confused-deputy guard: only this account's use of the service can assume the role.
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  });
}

/**
 * A grant as a VPC endpoint policy statement: any principal of `accountId` (endpoint policies name the
 * caller with "*"; its own IAM policy still applies), acting on resources of `accountId` (data
 * perimeter). An action AWS defines without a resource ("*") cannot carry aws:ResourceAccount.
 */
export function withinAccount(grant: PolicyStatement, accountId: string): PolicyStatement {
  const resourceless = grant.Resource.length === 1 && grant.Resource[0] === "*";
  const accounts = { "aws:PrincipalAccount": accountId, ...(resourceless ? {} : { "aws:ResourceAccount": accountId }) };
  return { ...grant, Principal: "*", Condition: { StringEquals: accounts } };
}

/** Denies any request to `resources` that does not arrive over TLS (bucket and queue policies). */
export function denyInsecureTransport(actionPrefix: string, resources: readonly string[]): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: [`${actionPrefix}:*`],
    Resource: resources,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
