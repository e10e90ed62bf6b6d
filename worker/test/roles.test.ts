/**
 * Two database identities, on a real PostgreSQL 17.6: the migration (dist/migrate.js, master
 * user) creates the application role with the least rights that work, and the worker logs in as
 * that role: with IAM tokens on RDS, with a password here. Every "cannot" is SQLSTATE 42501 on a
 * statement the master user runs successfully in the same test.
 */
import { Client } from "pg";
import { LOCAL_APP_PASSWORD, LOCAL_APP_USER, runMigration } from "../../scripts/local/pipeline";
import { Database, StoredOutcome } from "../src/db";
import { eventually, freshPipeline, startWorker, upload, useServices } from "./harness";

jest.setTimeout(120000);
const ctx = useServices();

async function connect(database: string, user: string, password: string): Promise<Client> {
  const client = new Client({ host: "127.0.0.1", port: ctx.services.pg.port, user, password, database });
  await client.connect();
  return client;
}

/** The SQLSTATE a statement fails with, or "ok". */
async function outcome(client: Client, sql: string): Promise<string> {
  try {
    await client.query(sql);
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** The master user runs `sql` successfully, in a transaction it rolls back (so a DROP leaves the table). */
async function masterRuns(master: Client, sql: string): Promise<string> {
  await master.query("BEGIN");
  try {
    return await outcome(master, sql);
  } finally {
    await master.query("ROLLBACK");
  }
}

const row = (key: string, messageId = `m-${key}`): StoredOutcome => ({
  messageId,
  outcome: {
    kind: "document",
    ref: { bucket: "b", key, versionId: "v1", etag: "e", eventName: "ObjectCreated:Put" },
    sizeBytes: 5,
    contentType: "text/plain",
    sha256: "0".repeat(64),
    content: "hello",
  },
});

describe("the application role nexus_worker", () => {
  let master: Client;
  let app: Client;
  let name: string;
  let migration: Record<string, string>;

  beforeAll(async () => {
    ({ name, migration } = await freshPipeline(ctx.services));
    master = await connect(name, ctx.services.pg.user, ctx.services.pg.password);
    app = await connect(name, LOCAL_APP_USER, LOCAL_APP_PASSWORD);
    await master.query(
      `INSERT INTO documents (bucket, object_key, object_version, size_bytes, sha256, content, message_id)
       VALUES ('b', 'secret.txt', 'v0', 6, repeat('0', 64), 'secret', 'm0')`,
    );
  });
  afterAll(async () => Promise.all([master?.end(), app?.end()]));

  test.each([
    ["read document contents", "SELECT content FROM documents"],
    ["read a whole rejected row", "SELECT * FROM rejected_objects"],
    ["read another table (the migrations)", "SELECT * FROM schema_migrations"],
    ["update a document", "UPDATE documents SET content = 'changed'"],
    ["delete documents", "DELETE FROM documents"],
    ["truncate a table", "TRUNCATE documents"],
    ["drop a table", "DROP TABLE documents"],
    ["create a table", "CREATE TABLE intruder (id int)"],
    ["alter a table", "ALTER TABLE documents ADD COLUMN intruder int"],
    ["move a sequence", "SELECT setval('documents_id_seq', 1)"],
  ])("cannot %s (42501), which the master user can", async (_what, sql) => {
    expect(await outcome(app, sql)).toBe("42501");
    expect(await masterRuns(master, sql)).toBe("ok");
  });

  test("can store a batch with the worker's statement; a redelivery adds no row", async () => {
    const db = new Database(
      {
        host: "127.0.0.1",
        port: ctx.services.pg.port,
        database: name,
        ssl: "disable",
        caFile: "",
        user: LOCAL_APP_USER,
        auth: "password",
      },
      1,
      LOCAL_APP_PASSWORD,
    );
    try {
      expect(await db.commit([row("a.txt"), row("b.txt")])).toEqual({ documents: 2, rejected: 0 });
      expect(await db.commit([row("a.txt", "m-again")])).toEqual({ documents: 0, rejected: 0 });
    } finally {
      await db.close();
    }
    const stored = await master.query("SELECT object_key FROM documents ORDER BY object_key");
    expect(stored.rows.map((r) => r.object_key)).toEqual(["a.txt", "b.txt", "secret.txt"]);
  });

  test("reads only the identity columns, because ON CONFLICT needs them; the next migration restores a revoked grant", async () => {
    expect(await outcome(app, "SELECT bucket, object_key, object_version FROM documents LIMIT 0")).toBe("ok");
    await master.query(`REVOKE SELECT (bucket, object_key, object_version) ON documents FROM ${LOCAL_APP_USER}`);
    const insert = `INSERT INTO documents (bucket, object_key, object_version, size_bytes, sha256, content, message_id)
      VALUES ('b', 'c.txt', 'v1', 1, repeat('0', 64), 'x', 'm') ON CONFLICT ON CONSTRAINT documents_object_identity DO NOTHING`;
    expect(await outcome(app, insert)).toBe("42501"); // without SELECT on the arbiter's columns
    expect(await outcome(app, insert.replace(/ ON CONFLICT.*/, ""))).toBe("ok"); // a plain INSERT needs none

    await runMigration(migration);
    expect(await outcome(app, insert)).toBe("ok");
  });

  test("a grant added by hand does not survive the next migration", async () => {
    await master.query(`GRANT SELECT, DELETE ON documents TO ${LOCAL_APP_USER}`);
    expect(await outcome(app, "SELECT content FROM documents LIMIT 1")).toBe("ok");
    await runMigration(migration);
    expect(await outcome(app, "SELECT content FROM documents LIMIT 1")).toBe("42501");
    expect(await outcome(app, "DELETE FROM documents")).toBe("42501");
  });

  test("other roles cannot connect to the database (42501); the master user can", async () => {
    await master.query("DROP ROLE IF EXISTS intruder; CREATE ROLE intruder LOGIN PASSWORD 'intruder'");
    await expect(connect(name, "intruder", "intruder")).rejects.toMatchObject({ code: "42501" });
    await (await connect(name, ctx.services.pg.user, ctx.services.pg.password)).end();
  });
});

describe("the migration", () => {
  test("runs again and in two databases at once: the role is created once, migrations applied once each", async () => {
    const user = `race_${process.pid}`;
    const [a, b] = await Promise.all([freshPipeline(ctx.services), freshPipeline(ctx.services)]);
    const env = (m: Record<string, string>) => ({ ...m, DB_APP_USER: user, LOG_LEVEL: "info" });
    const outputs = await Promise.all([runMigration(env(a.migration)), runMigration(env(b.migration))]);
    for (const output of outputs) expect(output).toMatch(/"msg":"migrations done","applied":0/);
    expect(await ctx.services.pg.query("SELECT rolname FROM pg_roles WHERE rolname = $1", [user])).toHaveLength(1);
    expect(await runMigration(env(a.migration))).toMatch(/"applied":0/);
    expect(await a.sql("SELECT version FROM schema_migrations")).toEqual([{ version: 1 }]);
  });

  test("DB_AUTH=iam where no rds_iam role exists (not RDS) fails with a line that says so", async () => {
    const { migration } = await freshPipeline(ctx.services);
    const run = runMigration({ ...migration, DB_AUTH: "iam", DB_APP_PASSWORD: "", DB_APP_USER: "iam_nowhere" });
    await expect(run).rejects.toThrow(
      /exited 1: .*"msg":"migration failed".*needs the rds_iam role, which Amazon RDS provides/s,
    );
  });

  test("a wrong master password fails at once, without waiting out DB_WAIT_SECONDS", async () => {
    const { migration } = await freshPipeline(ctx.services);
    const started = Date.now();
    await expect(runMigration({ ...migration, DB_PASSWORD: "wrong", DB_WAIT_SECONDS: "60" })).rejects.toThrow(
      /exited 1: .*"code":"28P01"/s,
    );
    expect(Date.now() - started).toBeLessThan(10000);
  });
});

describe("IAM database authentication", () => {
  test("each new connection gets a new token, and a new connection succeeds without rebuilding the pool", async () => {
    const user = "iam_worker";
    // GIVEN the role RDS provides, and the role migrated for IAM: member of rds_iam, no password
    await ctx.services.pg.query("DO $$ BEGIN CREATE ROLE rds_iam; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    const { pipeline, env, migration, rows } = await freshPipeline(ctx.services);
    await runMigration({ ...migration, DB_AUTH: "iam", DB_APP_PASSWORD: "", DB_APP_USER: user });
    const [role] = await ctx.services.pg.query<{ member: boolean; password: string | null }>(
      "SELECT pg_has_role($1, 'rds_iam', 'MEMBER') AS member, rolpassword AS password FROM pg_authid WHERE rolname = $1",
      [user],
    );
    expect(role).toEqual({ member: true, password: null });

    // AND a signer stand-in: RDS verifies a token's signature; here the current token is the role's
    // password, changed between connections (PostgreSQL reads the password before the client sends
    // it, so the stand-in cannot set it from inside pg's password callback)
    let current = "";
    const rotate = async (n: number) => {
      current = `token-${n}-${Date.now()}`;
      await ctx.services.pg.query(`ALTER ROLE ${user} PASSWORD '${current}'`);
    };
    const issued: string[] = [];
    const signer = async () => (issued.push(current), current);
    await rotate(1);
    ctx.running = await startWorker({ ...env, DB_AUTH: "iam", DB_USER: user, DB_PASSWORD: "" }, { tokens: signer });
    const pool = ctx.running.worker.db;
    await upload(pipeline, "first.txt", "1");
    await eventually("the first row", async () => (await rows()).length === 1);
    expect(new Set(issued)).toEqual(new Set([issued[0]]));

    // WHEN the token changes and every connection of the role ends (a failover, an idle timeout)
    const first = current;
    await rotate(2);
    await ctx.services.pg.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [user]);
    await upload(pipeline, "second.txt", "2");

    // THEN the pool's next connection asks for a token again and logs in with the new one
    await eventually("the second row", async () => (await rows()).length === 2, 60000);
    expect(issued).toContain(current);
    expect(ctx.running.worker.db).toBe(pool);
    await expect(connect(migration.DB_NAME, user, first)).rejects.toMatchObject({ code: "28P01" });
  });
});
