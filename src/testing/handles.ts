/**
 * Waits for the event loop to be free of sockets, servers and timers (handle closes complete a turn or
 * two after `close()` callbacks), and returns what is still active after `timeoutMs`.
 */
export async function activeHandlesAfterSettling(timeoutMs = 1000): Promise<string[]> {
  const ignored = new Set(['TTYWrap', 'PipeWrap', 'FSReqCallback']);
  const active = (): string[] => process.getActiveResourcesInfo().filter((r) => !ignored.has(r));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Our own polling timer is not counted: it is not active while we look.
    if (active().length === 0) return [];
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return active();
}
