import { pino, type Logger, type DestinationStream } from 'pino';
import { redactSecrets, redactUrlsIn } from './oslo/secrets.js';

export type { Logger };

export interface LogOptions {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly format: 'json' | 'logfmt';
  readonly destination?: DestinationStream;
}

/** A log call's arguments with secrets masked: URL passwords in strings, values under secret keys, errors as one line. */
function redactArgs(args: unknown[]): unknown[] {
  const safe = args.map((a, i) => {
    if (typeof a === 'string') return redactUrlsIn(a);
    // The first object is the record, masked by formatters.log; later ones are interpolated.
    if (a instanceof Error) return { err: redactSecrets(a) };
    return i > 0 && typeof a === 'object' && a !== null ? redactSecrets(a) : a;
  });
  // pino takes an Error's message as the line's msg: give it the masked one.
  if (args[0] instanceof Error && typeof args[1] !== 'string') safe.splice(1, 0, redactUrlsIn(args[0].message));
  return safe;
}

/**
 * The one logger. Secrets are masked where they can occur, by the one definition in
 * src/oslo/secrets.ts: every field under a secret key, the password of every URL in any
 * field or message (a library's error may quote one). Nothing else is touched, so a user
 * or exchange name that equals a password still reads as itself.
 */
export function createLogger(options: LogOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  const sink: DestinationStream = options.format === 'logfmt' ? { write: (line) => destination.write(toLogfmt(line)) } : destination;
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are already `{type, message}` (redactSecrets): pino's serializer would add a stack.
      serializers: { err: (value: unknown) => value },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>,
        log: (record) => redactSecrets(record) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, redactArgs(args) as Parameters<typeof method>);
        },
      },
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
