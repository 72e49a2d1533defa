/**
 * Polls `predicate` every 10 ms until it holds. After `timeoutMs` it rejects with `name`, the
 * lines `arrived()` gives (what a test was waiting for instead), the predicate and what it last
 * threw: a timed-out test says what it saw.
 */
export async function pollUntil(name: string, predicate: () => boolean, timeoutMs: number, arrived: () => string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (predicate()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(
    [
      `${name}: waitFor timed out after ${timeoutMs} ms`,
      ...arrived(),
      `predicate: ${predicate.toString()}`,
      ...(lastError === undefined ? [] : [`predicate threw: ${String(lastError)}`]),
    ].join('\n  '),
  );
}
