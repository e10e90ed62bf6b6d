/**
 * The Docker provider (kreuzwerker/docker) the build mode runs. @cdktf/provider-docker 12.0.3 was
 * generated from 3.6.2 and writes `~> 3.0`; the Go module proxy, from which npm run setup builds the
 * provider (no registry here), serves only the revision released as 4.6.0 (its CHANGELOG's first
 * entry). Every attribute the stack sets has the same meaning in 4.6.0's schema (`npm run validate`
 * checks the synthesized JSON against that provider), so the constraint is pinned to 4.6.0 exactly.
 */
export const DOCKER_PROVIDER = { source: "registry.terraform.io/kreuzwerker/docker", version: "4.6.0" } as const;
