/**
 * The e2e's image mode and its one-line refusal when the machine has no Docker engine: the build
 * mode fails the e2e with that line (scripts/e2e/run.ts runs ImageBuildMode.start as a phase); it is
 * never skipped.
 */
import { engineMissing } from "../scripts/docker/engine";
import { imageMode } from "../scripts/e2e/image-build";

describe("NEXUS_E2E_IMAGE", () => {
  test("defaults to the build mode; prebuilt when asked", () => {
    expect(imageMode({})).toBe("build");
    expect(imageMode({ NEXUS_E2E_IMAGE: "prebuilt" })).toBe("prebuilt");
  });

  test("anything else is refused, naming the variable and the value", () => {
    expect(() => imageMode({ NEXUS_E2E_IMAGE: "skip" })).toThrow(
      'NEXUS_E2E_IMAGE must be build or prebuilt, got "skip"',
    );
  });
});

describe("without a Docker engine", () => {
  const present = process.execPath; // a file that exists
  test("a missing dockerd or client is one line naming what is missing", () => {
    expect(engineMissing({ dockerd: "/nonexistent/dockerd", cli: present, uid: 0 })).toBe(
      "no Docker engine: /nonexistent/dockerd missing (npm run setup installs Debian's docker.io as root)",
    );
    expect(engineMissing({ dockerd: "/nonexistent/dockerd", cli: "/nonexistent/docker", uid: 0 })).toMatch(
      /^no Docker engine: \/nonexistent\/dockerd and \/nonexistent\/docker missing/,
    );
  });

  test("not root is one line too: the e2e starts its own dockerd", () => {
    expect(engineMissing({ dockerd: present, cli: present, uid: 1000 })).toBe(
      "no Docker engine: dockerd needs root here (the e2e starts its own engine)",
    );
  });

  test("with both binaries, as root, nothing is missing", () => {
    expect(engineMissing({ dockerd: present, cli: present, uid: 0 })).toBeUndefined();
  });
});
