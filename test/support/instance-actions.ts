/**
 * Nova's instance-action records (os-instance-actions) against the notifications: which
 * actions the notifications name for each recorded one. Shared by the real-cloud test and
 * the replay of its captures.
 */

/** What os-instance-actions returns for one action (microversion 2.62: events carry the host). */
export interface InstanceAction {
  readonly action: string;
  readonly start_time: string;
  readonly message: string | null;
  readonly events: readonly {
    event: string;
    start_time: string;
    finish_time: string | null;
    result: string | null;
    host: string | null;
  }[];
}

/** What test/openstack/drive.py nova prints (and test/fixtures/zed-cloud/*.records.json hold). */
export interface NovaRecords {
  readonly servers: readonly { id: string; name: string; status: string; vm_state: string; host: string | null }[];
  readonly actions: Readonly<Record<string, readonly InstanceAction[]>>;
  readonly names: Readonly<Record<string, string>>;
  readonly fault: { code: number; message: string } | null;
}

/**
 * Nova's instance-action names (nova/compute/instance_actions.py) → the actions its
 * notifications name for it, each sent once with start and once with end when the action
 * succeeds: seen on Nova 26 (Zed) in both formats (docs/nova.md, "Checked against a real Nova").
 * A cold migration is a resize to the same flavor: the same three pairs.
 */
export const NOTIFIED_AS: Readonly<Record<string, readonly string[]>> = {
  create: ['create'],
  stop: ['power_off'],
  start: ['power_on'],
  reboot: ['reboot'],
  resize: ['resize_prep', 'resize', 'resize_finish'],
  migrate: ['resize_prep', 'resize', 'resize_finish'],
  confirmResize: ['resize_confirm'],
  revertResize: ['resize_revert'],
  shelve: ['shelve', 'shelve_offload'],
  unshelve: ['unshelve'],
  delete: ['delete', 'shutdown'],
};

/** Expected notifications per action label (each once with start, once with end) from the records. */
export function expectedActions(records: NovaRecords): Map<string, number> {
  const expected = new Map<string, number>();
  for (const actions of Object.values(records.actions)) {
    for (const a of actions) {
      // A build that failed before reaching a compute host (NoValidHost) sends no start.
      if (a.events.some((e) => e.result === 'Error')) continue;
      const names = NOTIFIED_AS[a.action];
      if (!names) throw new Error(`an instance action this test does not know: ${a.action}`);
      for (const n of names) expected.set(n, (expected.get(n) ?? 0) + 1);
    }
  }
  return expected;
}

/** Failed actions in the records: each an error the exporter must count. */
export function failedActions(records: NovaRecords): number {
  return Object.values(records.actions)
    .flat()
    .filter((a) => a.events.some((e) => e.result === 'Error')).length;
}
