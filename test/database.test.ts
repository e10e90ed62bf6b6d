import { synthNexus } from "./synth";

describe.each([
  ["dev", { multi_az: false, deletion_protection: false, skip_final_snapshot: true, backup_retention_period: 1 }],
  [
    "prod",
    {
      multi_az: true,
      deletion_protection: true,
      skip_final_snapshot: false,
      backup_retention_period: 14,
      final_snapshot_identifier: "nexus-prod-postgres-final",
    },
  ],
])("the %s database", (env, perEnvironment) => {
  const synth = synthNexus(env);
  const db = synth.only("aws_db_instance");

  test("is PostgreSQL 17.6 on db.t4g.micro with encrypted gp3 storage", () => {
    expect(db).toMatchObject({
      engine: "postgres",
      engine_version: "17.6",
      instance_class: "db.t4g.micro",
      storage_type: "gp3",
      storage_encrypted: true,
    });
    expect(db.kms_key_id).toBe(`\${${synth.address("aws_kms_key", "data-key")}.arn}`);
  });

  test("has its environment's availability, protection, snapshot and backup settings", () => {
    expect(db).toMatchObject(perEnvironment);
  });

  test("keeps its password in an RDS-managed, KMS-encrypted secret, with IAM auth enabled", () => {
    expect(db).toMatchObject({ manage_master_user_password: true, iam_database_authentication_enabled: true });
    expect(db.master_user_secret_kms_key_id).toBe(`\${${synth.address("aws_kms_key", "data-key")}.arn}`);
    expect(db.password).toBeUndefined();
  });

  test("is private: not publicly accessible, in a subnet group of the isolated subnets", () => {
    expect(db.publicly_accessible).toBe(false);
    const group = synth.only("aws_db_subnet_group");
    expect(group.subnet_ids).toEqual(Object.keys(synth.resources("aws_subnet")).map((id) => `\${aws_subnet.${id}.id}`));
  });

  test("admits 5432 only from the worker's security group", () => {
    const dbSg = `\${${synth.address("aws_security_group", "database_sg")}.id}`;
    const ingress = Object.values(synth.resources("aws_vpc_security_group_ingress_rule")).filter(
      (r) => r.security_group_id === dbSg,
    );
    expect(ingress).toEqual([
      expect.objectContaining({
        referenced_security_group_id: `\${${synth.address("aws_security_group", "worker_sg")}.id}`,
        from_port: 5432,
        to_port: 5432,
      }),
    ]);
  });

  test("forces TLS and logs connections through a postgres17 parameter group", () => {
    const params = synth.only("aws_db_parameter_group");
    expect(params.family).toBe("postgres17");
    expect(params.parameter).toEqual(
      expect.arrayContaining([
        { name: "rds.force_ssl", value: "1" },
        { name: "log_connections", value: "1" },
      ]),
    );
  });

  test("exports its logs to KMS-encrypted groups it creates first", () => {
    expect(db.enabled_cloudwatch_logs_exports).toEqual(["postgresql", "upgrade"]);
    const group = synth.named("aws_cloudwatch_log_group", "logs-postgresql");
    expect(group.name).toBe(`/aws/rds/instance/nexus-${env}-postgres/postgresql`);
    expect(group.kms_key_id).toBeDefined();
    expect(db.depends_on).toContain(synth.address("aws_cloudwatch_log_group", "logs-postgresql"));
  });

  test("has Enhanced Monitoring with its own role", () => {
    expect(db.monitoring_interval).toBe(60);
    expect(db.monitoring_role_arn).toBe(`\${${synth.address("aws_iam_role", "monitoring-role")}.arn}`);
  });

  test("has Performance Insights, encrypted with the data key, for the free 7 days", () => {
    expect(db).toMatchObject({ performance_insights_enabled: true, performance_insights_retention_period: 7 });
    expect(db.performance_insights_kms_key_id).toBe(`\${${synth.address("aws_kms_key", "data-key")}.arn}`);
  });
});
