/**
 * Runs the --ha fault harness (test/support/ha-faults.ts) for many seeds on one three-node
 * cluster of its own and prints how many passed; a failing seed is replayed with
 * `OSNE_HA_SEED=<seed> node --import tsx --test test/broker/ha-faults.test.ts`.
 *
 *   node --import tsx scripts/ha-fault-seeds.ts [count] [first-seed]
 *
 * OSNE_HA_RABBITMQ=4 runs them on RabbitMQ 4.0 from its chroot (test/support/rabbit-nodes.ts).
 * Needs what the broker tests need (rabbitmq-server, run as root). About 40 s a seed.
 */
import { runFaults } from '../test/support/ha-faults.js';
import { startNodes } from '../test/support/rabbit-nodes.js';

const count = Number(process.argv[2] ?? 20);
const first = Number(process.argv[3] ?? 100);
const rabbitmq = process.env['OSNE_HA_RABBITMQ'] === '4' ? 4 : 3;
const cluster = await startNodes(3, { cluster: true, rabbitmq });
let passed = 0;
const failed: number[] = [];
try {
  for (let seed = first; seed < first + count; seed++) {
    const result = await runFaults({ nodes: cluster.nodes, seed }).catch((err: unknown) => ({
      seed,
      differences: [`harness error: ${err instanceof Error ? err.message : String(err)}`],
      faults: [] as string[],
      republished: 0,
    }));
    const ok = result.differences.length === 0;
    if (ok) passed++;
    else failed.push(seed);
    console.log(`seed ${seed}: ${ok ? 'ok' : 'FAIL'} (${result.faults.length} steps: ${result.faults.join('; ')})`);
  }
} finally {
  await cluster.cleanup();
}
console.log(
  `RabbitMQ ${rabbitmq === 4 ? '4.0' : '3.10'}: passed ${passed} of ${count} seeds${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
);
process.exit(failed.length ? 1 : 0);
