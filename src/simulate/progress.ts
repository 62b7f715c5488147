/**
 * One-line progress bar for `simulate`, on stderr so stdout stays clean for pipes. It
 * draws only on a terminal: in CI logs and under docker compose, carriage-return
 * animations turn into thousands of lines, so it stays quiet there.
 */
import type { PublishProgress } from './publisher.js';

export interface ProgressRenderer {
  /** Redraws the line (no-op when not a TTY). */
  update(p: PublishProgress): void;
  /** Draws the final state and ends the line. */
  finish(p: PublishProgress): void;
}

/** The parts of a tty.WriteStream the bar uses (so tests can pass a fake). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

export function renderProgressLine(p: PublishProgress, columns = 80): string {
  const count = p.total !== undefined ? `${p.sent}/${p.total}` : `${p.sent}`;
  const stats = `${count} msgs  ${Math.round(p.ratePerSecond)} msg/s  ${p.elapsedSeconds.toFixed(1)}s`;
  if (p.fraction === undefined) return stats;
  const pct = `${Math.floor(p.fraction * 100)
    .toString()
    .padStart(3)}%`;
  // Bar gets what is left of the line, within reason.
  const width = Math.max(10, Math.min(40, columns - stats.length - pct.length - 6));
  const filled = Math.round(p.fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}  ${stats}`;
}

export function createProgressBar(stream: ProgressStream = process.stderr): ProgressRenderer {
  const enabled = stream.isTTY === true;
  let drawn = false;
  const draw = (p: PublishProgress): void => {
    // \r + erase-line redraws in place; the line is cut to the terminal width so it never wraps.
    const columns = stream.columns ?? 80;
    stream.write(`\r\x1b[2K${renderProgressLine(p, columns).slice(0, Math.max(1, columns - 1))}`);
    drawn = true;
  };
  return {
    update(p) {
      if (enabled) draw(p);
    },
    finish(p) {
      if (!enabled) return;
      draw(p);
      if (drawn) stream.write('\n');
    },
  };
}
