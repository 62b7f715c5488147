/**
 * `scripts/rabbitmq4 up|down|status`: the RabbitMQ 4.0 node the broker tests run on with
 * TEST_RABBITMQ=4 (docs/testing.md). `up` makes the Debian 13 chroot when it is missing
 * (debootstrap) and starts the node; `down` stops it. Root only.
 */
import { chrootReady, ensureChroot, RABBITMQ4_ROOT, sharedRabbitmq4 } from '../test/support/rabbitmq4.js';

const node = sharedRabbitmq4();
const command = process.argv[2];
try {
  if (command === 'up') {
    if (!chrootReady()) console.log(`making the Debian 13 chroot in ${RABBITMQ4_ROOT} (debootstrap, a few minutes)`);
    await ensureChroot();
    await node.start();
    console.log(
      `RabbitMQ ${(await node.ctl('version')).trim()} node ${node.nodeName} on ${node.url()} (management ${node.managementUrl ?? 'off'})`,
    );
  } else if (command === 'down') {
    await node.stop();
    console.log(`stopped ${node.nodeName}`);
  } else if (command === 'status') {
    const pid = node.pid();
    const running =
      pid !== undefined &&
      (await node.ctl('status').then(
        () => true,
        () => false,
      ));
    console.log(running ? `${node.nodeName} runs (pid ${pid}) on ${node.url()}` : `${node.nodeName} is not running`);
    process.exitCode = running ? 0 : 1;
  } else {
    console.error('usage: scripts/rabbitmq4 up|down|status');
    process.exitCode = 2;
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
