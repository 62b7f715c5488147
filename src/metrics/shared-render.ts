/**
 * One rendering of the registry shared by the scrapes that arrive while it runs or within
 * `maxAgeMs` after it. A large registry takes a long time to render and blocks the event
 * loop meanwhile (consumption stalls): several Prometheus servers (an HA pair, a federation)
 * scraping within the same second pay for it once. A failed render is never reused.
 */
export function sharedRender(render: () => Promise<string>, maxAgeMs: number, now: () => number = Date.now): () => Promise<string> {
  let current: { readonly body: Promise<string>; doneAt: number | undefined } | undefined;
  return () => {
    if (current && (current.doneAt === undefined || now() - current.doneAt < maxAgeMs)) return current.body;
    const entry: { readonly body: Promise<string>; doneAt: number | undefined } = { body: render(), doneAt: undefined };
    current = entry;
    entry.body.then(
      () => {
        entry.doneAt = now();
      },
      () => {
        if (current === entry) current = undefined;
      },
    );
    return entry.body;
  };
}
