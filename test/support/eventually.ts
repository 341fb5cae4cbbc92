/**
 * Read until `ok` holds or the time is up, and return the last value read: the caller's assertion on it then
 * says what was wrong. For effects that arrive asynchronously (events, queues, outboxes).
 */
export async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}
