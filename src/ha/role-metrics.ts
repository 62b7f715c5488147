import { Counter, Gauge, type Registry } from 'prom-client';
import { SELF_PREFIX } from '../metrics/self-metrics.js';
import { SNAPSHOT_FAILURE_REASONS, type SnapshotFailureReason } from './snapshot-failure.js';

/** What a replica says about its role; an exporter without --ha counts whenever it consumes. */
export interface Role {
  readonly active: boolean;
  readonly takeovers: number;
  readonly snapshots: number;
  readonly lastSnapshotBytes: number;
  readonly snapshotFailures?: Readonly<Record<SnapshotFailureReason, number>>;
}

/** The replica's role, read at scrape time. */
export function registerRoleMetrics(registry: Registry, role: () => Role): void {
  const registers = [registry];
  new Gauge({
    name: `${SELF_PREFIX}active`,
    help: 'Whether this replica counts: 1 on the active replica of an --ha group (and on any exporter without --ha while consuming), 0 on a standby.',
    registers,
    collect() {
      this.set(role().active ? 1 : 0);
    },
  });
  new Counter({
    name: `${SELF_PREFIX}takeovers_total`,
    help: 'Times this replica became the active one of its --ha group and took over the counting state.',
    registers,
    collect() {
      this.reset();
      this.inc(role().takeovers);
    },
  });
  new Counter({
    name: `${SELF_PREFIX}state_snapshots_total`,
    help: 'State snapshots this replica published to the broker and had confirmed (--ha).',
    registers,
    collect() {
      this.reset();
      this.inc(role().snapshots);
    },
  });
  new Counter({
    name: `${SELF_PREFIX}ha_snapshot_failures_total`,
    help: 'State snapshots that failed to publish (--ha), by reason: too_large, access_refused, queue_arguments, nack, confirm_timeout, channel_closed.',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      const failures = role().snapshotFailures;
      this.reset();
      for (const reason of SNAPSHOT_FAILURE_REASONS) this.inc({ reason }, failures?.[reason] ?? 0);
    },
  });
  new Gauge({
    name: `${SELF_PREFIX}state_snapshot_bytes`,
    help: 'Size of the last state snapshot this replica published (gzipped JSON; --ha).',
    registers,
    collect() {
      this.set(role().lastSnapshotBytes);
    },
  });
}
