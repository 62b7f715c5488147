import { pino, type Logger, type DestinationStream } from 'pino';
import { redactUrlsIn } from './amqp/url.js';

export type { Logger };

export interface LogOptions {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly format: 'json' | 'logfmt';
  /** Literal secrets (broker passwords) masked in every line, whatever logged them. */
  readonly secrets?: readonly string[];
  readonly destination?: DestinationStream;
}

/**
 * The one logger. Every line passes through a last redaction step, so a password that
 * reaches a log through a library's error message is still masked.
 */
export function createLogger(options: LogOptions): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 3);
  const redact = (line: string): string => {
    let out = redactUrlsIn(line);
    for (const s of secrets) out = out.split(s).join('***');
    return out;
  };
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  const sink: DestinationStream = options.format === 'logfmt' ? { write: (line) => destination.write(toLogfmt(line)) } : destination;
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Context keys of oslo messages can carry tokens; refuse them by name anywhere they appear.
      redact: { paths: ['*.password', '*.auth_token', '*._context_auth_token', 'password'], censor: '***' },
      hooks: { streamWrite: redact },
    },
    sink,
  );
}

/** `{"level":"info","msg":"x y","n":1}` → `level=info msg="x y" n=1`. */
export function toLogfmt(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${key}=${/[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text}`);
  }
  return `${parts.join(' ')}\n`;
}

/**
 * At most `perMinute` lines per key; the rest are counted and reported once the window
 * rolls over, so a flood of bad messages cannot flood the log.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; logged: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= 60_000) {
      if (w && w.suppressed > 0) this.log.warn({ key, suppressed: w.suppressed }, `${w.suppressed} more like this were not logged`);
      w = { start: t, logged: 0, suppressed: 0 };
      this.windows.set(key, w);
    }
    if (w.logged < this.perMinute) {
      w.logged++;
      this.log.warn(fields, message);
    } else {
      w.suppressed++;
    }
  }
}
