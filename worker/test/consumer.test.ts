import { getEventListeners } from "node:events";
import { sleep } from "../src/consumer";

describe("backoff sleep", () => {
  test("leaves no abort listener behind once it has waited", async () => {
    const stopping = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, stopping.signal);
    expect(getEventListeners(stopping.signal, "abort")).toHaveLength(0);
  });

  test("ends early when the signal aborts", async () => {
    const stopping = new AbortController();
    const started = Date.now();
    const waiting = sleep(60000, stopping.signal);
    stopping.abort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
