/** The e2e's checks: a failed one stops the run with what was expected. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
