import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";

// The bundle the Dockerfile bakes into /app/certs for DB_SSL=verify-full (worker/scripts/rds-ca-bundle.mjs).
const bundle = execFileSync(process.execPath, [join(__dirname, "..", "scripts", "rds-ca-bundle.mjs")], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "ignore"],
});
const certs = bundle
  .split(/(?<=-----END CERTIFICATE-----)\n/)
  .filter((pem) => pem.includes("BEGIN CERTIFICATE"))
  .map((pem) => new X509Certificate(pem));

describe("the RDS CA bundle in the image", () => {
  test("holds only Amazon RDS certificate authorities that are valid today", () => {
    expect(certs.length).toBeGreaterThan(50);
    for (const cert of certs) {
      expect(cert.subject).toMatch(/Amazon RDS/);
      expect(cert.ca).toBe(true);
      expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now());
    }
  });

  test("holds the current (G1) roots of us-east-1, the default region", () => {
    const roots = certs.filter((cert) => cert.subject === cert.issuer).map((cert) => cert.subject);
    for (const region of ["us-east-1"]) {
      expect(roots.some((subject) => subject.includes(`Amazon RDS ${region} Root CA RSA2048 G1`))).toBe(true);
      expect(roots.some((subject) => subject.includes(`Amazon RDS ${region} Root CA ECC384 G1`))).toBe(true);
    }
  });
});
