import type { EventEmitter } from 'node:events';

type Closable = EventEmitter & { close(): Promise<void> };

/**
 * Closes an amqplib connection or channel without ever hanging. amqplib's close() sends
 * Close and settles on the broker's CloseOk; if the link dies in between, the object goes
 * to closed without calling that continuation, so the promise never settles, and whoever
 * awaited it (a reconnect loop, a shutdown) waits forever. Its 'close' event fires either
 * way, so this waits for whichever comes first. Errors are the caller's to ignore: the
 * object is gone either way.
 */
export async function closeQuietly(target: Closable): Promise<void> {
  let onClose: (() => void) | undefined;
  const closed = new Promise<void>((resolve) => {
    onClose = resolve;
    target.once('close', resolve);
  });
  try {
    await Promise.race([target.close().catch(() => undefined), closed]);
  } finally {
    if (onClose) target.removeListener('close', onClose);
  }
}
