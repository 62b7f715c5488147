/** The ceiling: a bare amqplib consumer with noAck that only counts. */
import { connect } from 'amqplib';
import { childArgs, DrainMeter, exitOnTerm, report, type DrainArgs } from './common.js';

const args = childArgs<DrainArgs>();
const connection = await connect(args.url);
const channel = await connection.createChannel();
const meter = new DrainMeter(args.count);
await channel.consume(
  args.queue,
  (msg) => {
    if (msg !== null) meter.tick();
  },
  { noAck: true },
);
report('ready');
exitOnTerm(() => connection.close());
