/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof) by self time: the top functions, and the
 * time per component (src/ file, npm package, node internals, GC). Frames from bundles
 * with a source map next to them are named by their original file and line.
 *
 *   node --import tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--top 25]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  /** Samples per source line (1-based) of the code that was running: for code V8 inlined
   * into this function, a line of the inlined function's script. */
  positionTicks?: { line: number; ticks: number }[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotLine {
  /** file:line, `(inlined)` when the line lies outside the function's own script. */
  readonly location: string;
  readonly text: string;
  /** Share of this function's self samples. */
  readonly pct: number;
}

export interface FunctionRow {
  readonly name: string;
  readonly location: string;
  readonly component: string;
  readonly selfMs: number;
  readonly selfPct: number;
  readonly totalPct: number;
  /** Where in it (or in what V8 inlined into it) the samples fell. */
  readonly hotLines: readonly HotLine[];
}

export interface ProfileSummary {
  readonly file: string;
  readonly durationMs: number;
  /** Sampled time that was not idle: the percentages below are of this. */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly top: readonly FunctionRow[];
  readonly components: readonly { component: string; selfMs: number; selfPct: number }[];
}

const maps = new Map<string, { map: SourceMap; url: URL } | null>();

function sourceMapFor(url: string): { map: SourceMap; url: URL } | null {
  if (!maps.has(url)) {
    let found: { map: SourceMap; url: URL } | null = null;
    try {
      const file = `${fileURLToPath(url)}.map`;
      if (existsSync(file)) found = { map: new SourceMap(JSON.parse(readFileSync(file, 'utf8'))), url: pathToFileURL(file) };
    } catch {
      found = null;
    }
    maps.set(url, found);
  }
  return maps.get(url) ?? null;
}

const lineCounts = new Map<string, number>();

function linesOf(url: string): number {
  if (!lineCounts.has(url)) {
    let n = 0;
    try {
      n = readFileSync(fileURLToPath(url), 'utf8').split('\n').length;
    } catch {
      n = 0;
    }
    lineCounts.set(url, n);
  }
  return lineCounts.get(url) ?? 0;
}

const sourceLines = new Map<string, string[]>();

function sourceText(fileUrl: string, line: number): string {
  if (!sourceLines.has(fileUrl)) {
    try {
      sourceLines.set(fileUrl, readFileSync(fileURLToPath(fileUrl), 'utf8').split('\n'));
    } catch {
      sourceLines.set(fileUrl, []);
    }
  }
  const text = (sourceLines.get(fileUrl)?.[line - 1] ?? '').trim();
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

/** A 1-based line of a bundle → original file URL and 1-based line, through its source map. */
function mapLine(bundleUrl: string, line: number): { url: string; line: number } | undefined {
  const found = sourceMapFor(bundleUrl);
  if (!found) return undefined;
  // The last mapping on that line names the statement it belongs to.
  const entry = found.map.findEntry(line - 1, 1e6) as { originalSource?: string; originalLine?: number; generatedLine?: number };
  if (!entry?.originalSource || entry.generatedLine !== line - 1) return undefined;
  return { url: new URL(entry.originalSource, found.url).href, line: (entry.originalLine ?? 0) + 1 };
}

/**
 * Where a positionTicks line points. V8 reports it in the script of the code that ran, which
 * for inlined code is not the function's own: a line past the end of the function's file
 * is looked up in the profile's bundles instead.
 */
function hotLine(frameUrl: string, line: number, bundles: readonly string[]): { location: string; text: string } {
  // Node's own scripts (node:*) cannot be read here: their lines are taken as their own.
  if (!frameUrl) return { location: '', text: '' };
  if (!frameUrl.startsWith('file:')) return { location: `${shorten(frameUrl)}:${line}`, text: '' };
  const own = line <= linesOf(frameUrl);
  const candidates = own ? [frameUrl] : bundles;
  for (const url of candidates) {
    const mapped = mapLine(url, line);
    if (mapped)
      return { location: `${shorten(mapped.url)}:${mapped.line}${own ? '' : ' (inlined)'}`, text: sourceText(mapped.url, mapped.line) };
  }
  if (own) return { location: `${shorten(frameUrl)}:${line}`, text: sourceText(frameUrl, line) };
  return { location: `?:${line} (inlined)`, text: '' };
}

/** file:line of the frame, mapped back through a bundle's source map when there is one. */
function locate(frame: CallFrame): string {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return '';
  if (url.startsWith('file:')) {
    const found = sourceMapFor(url);
    const entry = found?.map.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    // Sources in the map are relative to the map file.
    if (entry?.originalSource && found) return `${shorten(new URL(entry.originalSource, found.url).href)}:${(entry.originalLine ?? 0) + 1}`;
  }
  return `${shorten(url)}:${lineNumber + 1}`;
}

function shorten(url: string): string {
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  for (const root of ['/src/', '/bench/']) {
    const at = path.lastIndexOf(root);
    if (at >= 0) return path.slice(at + 1);
  }
  return path;
}

function componentOf(name: string, location: string): string {
  if (name.startsWith('(')) return name; // (garbage collector), (program), (idle), (anonymous)
  return componentOfLocation(location);
}

function componentOfLocation(location: string): string {
  if (location === '') return '(native/builtin)';
  if (location.startsWith('node:')) return 'node internals';
  if (location.startsWith('src/') || location.startsWith('bench/')) return location.slice(0, location.lastIndexOf(':'));
  const parts = location.split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? location);
}

export function summarizeProfile(file: string, topN = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const keyOf = new Map<number, string>();
  const info = new Map<string, { name: string; location: string }>();
  const bundles = [...new Set(profile.nodes.map((n) => n.callFrame.url))].filter((u) => u.startsWith('file:') && sourceMapFor(u));
  const lineTicks = new Map<string, Map<string, { text: string; ticks: number }>>();
  for (const n of profile.nodes) {
    const name = n.callFrame.functionName || '(anonymous)';
    const location = locate(n.callFrame);
    const key = `${name}\u0000${location}`;
    keyOf.set(n.id, key);
    info.set(key, { name, location });
    for (const { line, ticks } of n.positionTicks ?? []) {
      const at = hotLine(n.callFrame.url, line, bundles);
      const lines = lineTicks.get(key) ?? new Map<string, { text: string; ticks: number }>();
      lineTicks.set(key, lines);
      const prev = lines.get(at.location);
      lines.set(at.location, { text: at.text, ticks: (prev?.ticks ?? 0) + ticks });
    }
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let idle = 0;
  let sampled = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // A sample's time is the gap to the next sample (V8 records the delta before it).
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    sampled += dt;
    const key = keyOf.get(id) ?? '?';
    if (info.get(key)?.name === '(idle)') {
      idle += dt;
      continue;
    }
    self.set(key, (self.get(key) ?? 0) + dt);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) onStack.add(keyOf.get(at) ?? '?');
    for (const k of onStack) total.set(k, (total.get(k) ?? 0) + dt);
  }
  const busy = sampled - idle;
  const rows: FunctionRow[] = [...self.entries()]
    .map(([key, ms]) => {
      const { name, location } = info.get(key) ?? { name: '?', location: '' };
      const lines = [...(lineTicks.get(key)?.entries() ?? [])];
      const ticks = lines.reduce((a, [, l]) => a + l.ticks, 0);
      const hotLines = lines
        .sort((a, b) => b[1].ticks - a[1].ticks)
        .filter(([loc]) => loc !== '')
        .slice(0, 2)
        .map(([loc, l]) => ({ location: loc, text: l.text, pct: (100 * l.ticks) / Math.max(1, ticks) }))
        .filter((l) => l.pct >= 20);
      return {
        name,
        location,
        component: componentOf(name, location),
        selfMs: ms,
        selfPct: (100 * ms) / busy,
        totalPct: (100 * (total.get(key) ?? ms)) / busy,
        hotLines,
      };
    })
    .sort((a, b) => b.selfMs - a.selfMs);
  // Components by the line that ran, so code V8 inlined into a caller counts for its own file.
  const comp = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.name}\u0000${r.location}`;
    const lines = [...(lineTicks.get(key)?.entries() ?? [])];
    const ticks = lines.reduce((a, [, l]) => a + l.ticks, 0);
    if (ticks === 0) {
      comp.set(r.component, (comp.get(r.component) ?? 0) + r.selfMs);
      continue;
    }
    for (const [loc, l] of lines) {
      const c = loc === '' || loc.startsWith('?') ? r.component : componentOfLocation(loc.replace(/ \(inlined\)$/, ''));
      comp.set(c, (comp.get(c) ?? 0) + (r.selfMs * l.ticks) / ticks);
    }
  }
  return {
    file,
    durationMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busy,
    idleMs: idle,
    top: rows.slice(0, topN),
    components: [...comp.entries()]
      .map(([component, ms]) => ({ component, selfMs: ms, selfPct: (100 * ms) / busy }))
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}

export function formatSummary(s: ProfileSummary, components = 15, hotLinesFor = 8): string {
  const lines = [
    `${s.file}: ${(s.durationMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(2)} s busy, ${(s.idleMs / 1000).toFixed(2)} s idle (percentages of busy time)`,
    '',
    '  self%  total%   self ms  function (location)',
  ];
  for (const [i, r] of s.top.entries()) {
    lines.push(
      `${r.selfPct.toFixed(1).padStart(7)} ${r.totalPct.toFixed(1).padStart(7)} ${r.selfMs.toFixed(0).padStart(9)}  ${r.name}${r.location ? ` (${r.location})` : ''}`,
    );
    // Hot lines for the heaviest functions: that is where inlined callees show up.
    if (i < hotLinesFor && r.selfPct >= 2) {
      for (const l of r.hotLines)
        lines.push(`${''.padStart(27)}${l.pct.toFixed(0).padStart(3)}% at ${l.location}${l.text ? `: ${l.text}` : ''}`);
    }
  }
  lines.push(
    '(hot lines: where in the function the samples fell; V8 gives the line of inlined code but not its script, so a line marked inlined is an informed guess)',
  );
  lines.push('', '  self%   self ms  component (by the line that ran: inlined code counts for its own file)');
  for (const c of s.components.slice(0, components)) {
    lines.push(`${c.selfPct.toFixed(1).padStart(7)} ${c.selfMs.toFixed(0).padStart(9)}  ${c.component}`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--top N]');
    process.exit(2);
  }
  process.stdout.on('error', () => process.exit(0)); // piped into head
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
  console.log(formatSummary(summarizeProfile(file, top)));
}
