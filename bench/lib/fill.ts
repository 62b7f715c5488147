/**
 * Pre-fills a queue with the corpus, through Nova's exchange and routing keys, as fast as
 * the broker confirms: a confirm channel with a window of unconfirmed messages.
 */
import { OSLO_PUBLISH_OPTIONS } from '../../src/oslo/wire.js';
import { once } from 'node:events';
import type { ChannelModel } from 'amqplib';
import { EXCHANGE } from './broker.js';
import type { CorpusMessage } from './corpus.js';

export interface FillResult {
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
}

export async function fillQueue(connection: ChannelModel, corpus: readonly CorpusMessage[], window = 5000): Promise<FillResult> {
  const ch = await connection.createConfirmChannel();
  const started = performance.now();
  let outstanding = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const confirmed = (err: unknown): void => {
    outstanding--;
    if (err && !failure) failure = new Error(`broker refused a message: ${String(err)}`);
    if (wake && outstanding < window / 2) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  try {
    for (const { routingKey, body } of corpus) {
      if (failure) throw failure;
      outstanding++;
      const ok = ch.publish(EXCHANGE, routingKey, body, OSLO_PUBLISH_OPTIONS, confirmed);
      if (outstanding >= window) await new Promise<void>((resolve) => (wake = resolve));
      else if (!ok) await once(ch, 'drain');
    }
    await ch.waitForConfirms();
    if (failure) throw failure;
  } finally {
    await ch.close().catch(() => undefined);
  }
  const seconds = (performance.now() - started) / 1000;
  return { messages: corpus.length, seconds, perSecond: corpus.length / seconds };
}
