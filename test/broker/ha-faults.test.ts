// The --ha fault harness (test/support/ha-faults.ts) on a three-node RabbitMQ cluster of the
// test's own: a few seeds here, many more in `node --import tsx scripts/ha-fault-seeds.ts`.
// A failing seed is replayed with OSNE_HA_SEED=<seed> npm test (or this file alone).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runFaults, seedsToRun } from '../support/ha-faults.js';
import { ownNodes } from '../support/rabbit-nodes.js';

// Two seeds on RabbitMQ 3.10 (Debian 12), one on 4.0 (Debian 13, in its chroot).
for (const [rabbitmq, seeds] of [
  [3, [1, 2]],
  [4, [3]],
] as const) {
  describe(`--ha under random faults (seeded), RabbitMQ ${rabbitmq === 4 ? '4.0' : '3.10'}`, () => {
    const cluster = ownNodes(3, { cluster: true, rabbitmq });

    for (const seed of seedsToRun(seeds)) {
      test(`seed ${seed}: kills, pauses past the heartbeat, cuts, memory alarms and node restarts lose nothing and count nothing twice`, async (t) => {
        t.diagnostic(`seed ${seed} (replay: OSNE_HA_SEED=${seed})`);
        const result = await runFaults({ nodes: cluster.nodes, seed, log: (line) => t.diagnostic(line) });
        assert.ok(result.faults.length >= 3, `faults injected: ${result.faults.join(', ')}`);
        assert.deepEqual(result.differences, [], `seed ${seed} (replay: OSNE_HA_SEED=${seed})`);
      });
    }
  });
}
