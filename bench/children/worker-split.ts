/**
 * A prototype, not the exporter: amqplib and acks on the main thread, the exporter's
 * counting stages (createCountingPipeline) in a worker thread, to measure what splitting
 * the work over two threads would buy before anyone restructures src/ for it.
 *
 * Bodies are copied into one transferable buffer per batch (lengths first, then bytes),
 * so a postMessage carries hundreds of messages. A batch is acked (one `multiple` ack)
 * when the worker says it is counted, so the prefetch window still bounds memory: acking
 * at hand-off let the broker outrun the worker and batches pile up (294 MB peak RSS).
 */
import { connect, type ConsumeMessage } from 'amqplib';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { buildConfig, type RawFlags } from '../../src/config/config.js';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { childArgs, DrainMeter, exitOnTerm, report, type DrainArgs } from './common.js';

interface SplitArgs extends DrainArgs {
  readonly flags: RawFlags;
}

const BATCH = 256;

function pack(bodies: readonly Buffer[]): ArrayBuffer {
  let bytes = 0;
  for (const b of bodies) bytes += b.byteLength;
  const out = new ArrayBuffer(4 * (bodies.length + 1) + bytes);
  const lengths = new Uint32Array(out, 0, bodies.length + 1);
  const data = new Uint8Array(out, 4 * (bodies.length + 1));
  lengths[0] = bodies.length;
  let at = 0;
  bodies.forEach((b, i) => {
    lengths[i + 1] = b.byteLength;
    data.set(b, at);
    at += b.byteLength;
  });
  return out;
}

function* unpack(buffer: ArrayBuffer): Generator<Uint8Array> {
  const n = new Uint32Array(buffer, 0, 1)[0] as number;
  const lengths = new Uint32Array(buffer, 4, n);
  let at = 4 * (n + 1);
  for (const length of lengths) {
    yield new Uint8Array(buffer, at, length);
    at += length;
  }
}

if (isMainThread) {
  const args = childArgs<SplitArgs>();
  const worker = new Worker(new URL(import.meta.url), { workerData: args });
  const connection = await connect(args.url);
  const channel = await connection.createChannel();
  await channel.prefetch(args.prefetch);
  let batch: Buffer[] = [];
  let last: ConsumeMessage | undefined;
  // The last delivery of each batch handed over, oldest first: acked as the worker counts them.
  const inWorker: ConsumeMessage[] = [];
  const hand = (): void => {
    if (batch.length === 0 || !last) return;
    const packed = pack(batch);
    batch = [];
    inWorker.push(last);
    worker.postMessage(packed, [packed]);
  };
  // The meter runs here (its window: the first counted batch → the last) so CPU covers both threads.
  const meter = new DrainMeter(args.count);
  worker.on('message', (m: { counted: number }) => {
    const done = inWorker.shift();
    if (done) channel.ack(done, true);
    while (meter.received < m.counted) meter.tick();
  });
  let flush: NodeJS.Immediate | undefined;
  await channel.consume(args.queue, (msg) => {
    if (msg === null) return;
    batch.push(msg.content);
    last = msg;
    if (batch.length >= BATCH) hand();
    // A partial batch goes as soon as the socket has nothing more for now.
    else
      flush ??= setImmediate(() => {
        flush = undefined;
        hand();
      });
  });
  report('ready');
  exitOnTerm(async () => {
    await connection.close();
    await worker.terminate();
  });
} else {
  const args = workerData as SplitArgs;
  const config = buildConfig(args.flags, {});
  const { pipeline } = createCountingPipeline(
    config,
    createRegistry(),
    createLogger({ level: 'warn', format: 'json' }),
    () => Date.now() / 1000,
  );
  let counted = 0;
  parentPort?.on('message', (packed: ArrayBuffer) => {
    for (const body of unpack(packed)) {
      pipeline(body);
      counted++;
    }
    parentPort?.postMessage({ counted });
  });
}
