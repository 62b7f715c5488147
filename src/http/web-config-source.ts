import { statSync } from 'node:fs';
import type { Logger } from '../log.js';
import { readWebConfig, WebConfigError, type LoadedWebConfig } from './web-config.js';

/**
 * The web configuration as the files hold it now. The toolkit re-reads its file on every
 * request and its certificates on every handshake, so a rotated certificate or a new
 * password needs no restart; this does the same, reading again only when a file's
 * identity, size or times changed (a Kubernetes Secret swaps a symlink, which changes the
 * inode). A change that does not load is logged and the last good configuration stays.
 */
export class WebConfigSource {
  private loaded: LoadedWebConfig;
  private stamps: string;
  private lastError: string | undefined;
  private readonly listeners: ((loaded: LoadedWebConfig) => void)[] = [];

  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    this.loaded = readWebConfig(file);
    this.stamps = stampsOf(this.loaded.config.files);
  }

  /** The current configuration, re-read first if any of its files changed. Synchronous: it runs before a TLS handshake starts. */
  current(): LoadedWebConfig {
    const stamps = stampsOf(this.loaded.config.files);
    if (stamps === this.stamps) return this.loaded;
    let next: LoadedWebConfig;
    try {
      next = readWebConfig(this.file);
      if ((next.config.tls === undefined) !== (this.loaded.config.tls === undefined)) {
        throw new WebConfigError('turning TLS on or off needs a restart');
      }
    } catch (err) {
      const message = err instanceof WebConfigError ? err.message : String(err);
      // Once per distinct problem: every request would otherwise log it again.
      if (message !== this.lastError)
        this.log.error({ file: this.file, err: message }, 'web config not reloaded, keeping the last good one');
      this.lastError = message;
      return this.loaded;
    }
    this.lastError = undefined;
    this.loaded = next;
    this.stamps = stampsOf(next.config.files);
    this.log.info({ file: this.file, tls: next.config.tls !== undefined }, 'web config reloaded');
    for (const listener of this.listeners) listener(next);
    return next;
  }

  onReload(listener: (loaded: LoadedWebConfig) => void): void {
    this.listeners.push(listener);
  }
}

function stampsOf(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}
