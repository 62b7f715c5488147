/**
 * The exporter's drain again, under `node --cpu-prof`, and the counting stages alone (their
 * timed loop only, through node:inspector); each profile summarized by self time
 * (cpuprofile-summary.ts).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeProfile, type ProfileSummary } from '../cpuprofile-summary.js';
import type { BenchContext, DrainRow } from '../lib/context.js';
import { prepareBacklogs } from './drain.js';
import { runExporterDrain, stopExporter } from './exporter.js';
import { runPipelineOnly } from './pipeline.js';

export interface ProfileResult {
  readonly exporter: { readonly row: DrainRow; readonly summary: ProfileSummary };
  readonly pipeline: { readonly row: DrainRow; readonly summary: ProfileSummary };
}

function profileArgs(dir: string, name: string): string[] {
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', name];
}

export async function runProfiles(ctx: BenchContext): Promise<ProfileResult> {
  const dir = join(ctx.resultsDir, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const backlog = (await prepareBacklogs(ctx, ['exporter-profiled'])).get('exporter-profiled');
  if (!backlog) throw new Error('no backlog');
  const drain = await runExporterDrain(ctx, backlog, 0, {
    logName: 'exporter-profiled',
    nodeArgs: profileArgs(dir, 'exporter.cpuprofile'),
  });
  await stopExporter(ctx, drain.exporter);
  const pipelineRow = await runPipelineOnly(ctx, 0, join(dir, 'pipeline.cpuprofile'), 'pipeline-profiled');
  const files = readdirSync(dir);
  for (const f of ['exporter.cpuprofile', 'pipeline.cpuprofile']) {
    if (!files.includes(f)) throw new Error(`no ${f} written in ${dir}`);
  }
  return {
    exporter: { row: drain.row, summary: summarizeProfile(join(dir, 'exporter.cpuprofile'), 30) },
    pipeline: { row: pipelineRow, summary: summarizeProfile(join(dir, 'pipeline.cpuprofile'), 30) },
  };
}
