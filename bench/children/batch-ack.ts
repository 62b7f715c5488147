/**
 * Manual acks and nothing else: the exporter's prefetch, one `multiple` ack every
 * prefetch/2 deliveries. What acking costs over the no-ack ceiling.
 */
import { connect, type ConsumeMessage } from 'amqplib';
import { childArgs, DrainMeter, exitOnTerm, report, type DrainArgs } from './common.js';

const args = childArgs<DrainArgs>();
const connection = await connect(args.url);
const channel = await connection.createChannel();
await channel.prefetch(args.prefetch);
const batch = Math.max(1, Math.floor(args.prefetch / 2));
let pending = 0;
const meter = new DrainMeter(args.count);
await channel.consume(args.queue, (msg: ConsumeMessage | null) => {
  if (msg === null) return;
  pending++;
  const last = meter.received + 1 === args.count;
  if (pending >= batch || last) {
    channel.ack(msg, true);
    pending = 0;
  }
  meter.tick();
});
report('ready');
exitOnTerm(() => connection.close());
