import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { AwsContext } from "../shared/aws-context";
import { DatabaseConfig } from "../config/config";
import { DataKey } from "../encryption/data-key";
import { PolicyStatement, assumeRolePolicy } from "../shared/iam";
import { allowTcp, emptySecurityGroup } from "../shared/security-groups";
import { MAX_CONNECTIONS } from "./limits";

/** The seeds' engine and size: PostgreSQL 17.6 on Graviton2. Pinned here, in one place. */
export const ENGINE_VERSION = "17.6";
export const INSTANCE_CLASS = "db.t4g.micro";
export const POSTGRES_PORT = 5432;
/** The server certificate authority: RSA 2048, valid to 2061, in the RDS global bundle the image carries. */
export const CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1";
/** Master user name; its password lives only in the RDS-managed secret, injected into the migration only. */
export const MASTER_USERNAME = "nexus_admin";
/** The application role the migration creates and the worker logs in as, with IAM tokens. */
export const APP_USERNAME = "nexus_worker";
const LOG_EXPORTS = ["postgresql", "upgrade"] as const;

export interface DatabaseProps {
  readonly aws: AwsContext;
  readonly name: string;
  readonly vpcId: string;
  /** Isolated subnets, one per AZ: the subnet group is HA-ready even when single-AZ. */
  readonly subnetIds: readonly string[];
  readonly dataKey: DataKey;
  readonly config: DatabaseConfig;
}

/**
 * RDS PostgreSQL in the isolated subnets, reachable on 5432 only from security groups
 * admitted with `admitFrom`, encrypted with the data key, its master password generated and
 * rotated by RDS in Secrets Manager.
 */
export class Database extends Construct {
  readonly instance: DbInstance;
  readonly securityGroup: SecurityGroup;
  /** ARN of the RDS-managed master secret (JSON keys `username` and `password`). */
  readonly secretArn: string;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { name, config } = props;
    this.securityGroup = emptySecurityGroup(
      this,
      "sg",
      `${name}-db`,
      props.vpcId,
      "PostgreSQL: port 5432 from the worker only",
    );
    const subnetGroup = new DbSubnetGroup(this, "subnets", {
      name: `${name}-isolated`,
      description: "Isolated subnets only",
      subnetIds: [...props.subnetIds],
    });
    const parameters = new DbParameterGroup(this, "parameters", {
      name: `${name}-postgres17`,
      family: "postgres17",
      description: "Nexus: TLS required, connections and slow statements logged",
      parameter: [
        { name: "rds.force_ssl", value: "1" },
        { name: "log_connections", value: "1" },
        { name: "log_disconnections", value: "1" },
        { name: "log_min_duration_statement", value: "1000" },
        // DDL only: logging every statement would write document contents into the logs.
        { name: "log_statement", value: "ddl" },
        // Static: applied when the instance starts (at creation), after a reboot on a change.
        { name: "max_connections", value: String(MAX_CONNECTIONS), applyMethod: "pending-reboot" },
      ],
    });

    const identifier = `${name}-postgres`;
    // Created here, not by RDS, so the exported logs are KMS-encrypted and expire.
    const logGroups = LOG_EXPORTS.map(
      (log) =>
        new CloudwatchLogGroup(this, `logs-${log}`, {
          name: `/aws/rds/instance/${identifier}/${log}`,
          retentionInDays: config.logRetentionDays,
          kmsKeyId: props.dataKey.arn,
        }),
    );
    this.instance = new DbInstance(this, "instance", {
      identifier,
      engine: "postgres",
      engineVersion: ENGINE_VERSION,
      instanceClass: INSTANCE_CLASS,
      dbName: config.databaseName,
      port: POSTGRES_PORT,
      username: MASTER_USERNAME,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.dataKey.arn,
      iamDatabaseAuthenticationEnabled: true,
      storageType: "gp3",
      allocatedStorage: config.allocatedStorageGb,
      maxAllocatedStorage: config.maxAllocatedStorageGb,
      storageEncrypted: true,
      kmsKeyId: props.dataKey.arn,
      multiAz: config.multiAz,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      backupRetentionPeriod: config.backupRetentionDays,
      copyTagsToSnapshot: true,
      deletionProtection: config.deletionProtection,
      skipFinalSnapshot: !config.finalSnapshot,
      finalSnapshotIdentifier: config.finalSnapshot ? `${name}-postgres-final` : undefined,
      enabledCloudwatchLogsExports: [...LOG_EXPORTS],
      dependsOn: logGroups,
      autoMinorVersionUpgrade: true,
      applyImmediately: false,
      // Performance Insights (CloudWatch Database Insights, standard mode): 7 days are free.
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: props.dataKey.arn,
      performanceInsightsRetentionPeriod: 7,
      // Pinned, not left to the account's default: a current CA the worker's RDS bundle verifies (CKV_AWS_211).
      caCertIdentifier: CA_CERT_IDENTIFIER,
      ...this.monitoring(props),
    });
    this.secretArn = this.instance.masterUserSecret.get(0).secretArn;
  }

  /** Opens 5432 from `client` to the database: the only ingress it has. */
  admitFrom(id: string, client: SecurityGroup): void {
    allowTcp(this, id, {
      from: client,
      to: this.securityGroup,
      port: POSTGRES_PORT,
      description: "PostgreSQL from the worker",
    });
  }

  /** secretsmanager:GetSecretValue on the master secret: for ECS to inject it into the migration container. */
  grantReadSecret(): PolicyStatement {
    return {
      Sid: "ReadDatabaseSecret",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [this.secretArn],
    };
  }

  /** rds-db:connect as exactly one database user of this instance (IAM database authentication). */
  grantConnect(aws: AwsContext, user: string): PolicyStatement {
    return {
      Sid: "ConnectAsApplicationRole",
      Effect: "Allow",
      Action: ["rds-db:connect"],
      Resource: [aws.arn("rds-db", `dbuser:${this.instance.resourceId}/${user}`)],
    };
  }

  private monitoring(props: DatabaseProps): { monitoringInterval: number; monitoringRoleArn?: string } {
    const interval = props.config.monitoringIntervalSeconds;
    if (interval === 0) return { monitoringInterval: 0 };
    const role = new IamRole(this, "monitoring-role", {
      name: `${props.name}-rds-monitoring`,
      assumeRolePolicy: assumeRolePolicy("monitoring.rds.amazonaws.com", props.aws.accountId),
    });
    new IamRolePolicyAttachment(this, "monitoring-policy", {
      role: role.name,
      // AWS's own policy for Enhanced Monitoring; it writes only to the RDSOSMetrics log group.
      policyArn: `arn:${props.aws.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
    });
    return { monitoringInterval: interval, monitoringRoleArn: role.arn };
  }
}
