import { readFileSync } from "node:fs";
import { COST_FILE, costDocument, count, fixedCost } from "../scripts/docs/cost";
import { nexusStack, synthNexus, synthesize } from "./synth";

describe("docs/cost.md", () => {
  test("is the one generated from the synthesized stacks (npm run docs:cost)", () => {
    expect(readFileSync(COST_FILE, "utf8")).toBe(costDocument());
  });

  test("counts interface endpoints per zone: a third zone adds five endpoint-AZs", () => {
    const two = count(synthNexus("dev").json.resource);
    const three = count(
      synthesize(nexusStack("dev", { network: { availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] } })).json
        .resource,
    );
    expect([two.endpointAzs, three.endpointAzs]).toEqual([10, 15]);
  });

  test("prod pays for a Multi-AZ standby and its storage twice, and for minCount tasks", () => {
    const prod = count(synthNexus("prod").json.resource);
    expect(prod).toMatchObject({ db: { multiAz: true, storageGb: 20 }, tasks: { min: 2, vcpu: 0.25, memoryGb: 0.5 } });
    const rds = fixedCost(prod).find(([item]) => item.startsWith("RDS db.t4g.micro"))!;
    expect(rds[3]).toBeCloseTo(2 * 730 * 0.016);
  });

  test("an instance class without a price is refused rather than priced wrong", () => {
    const prod = count(synthNexus("prod").json.resource);
    expect(() => fixedCost({ ...prod, db: { ...prod.db, instanceClass: "db.r7g.large" } })).toThrow(
      /no price for db.r7g.large/,
    );
  });
});
