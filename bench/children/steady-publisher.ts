/**
 * Steady traffic at a fixed rate: the corpus replayed in a loop (fresh message_ids, so
 * nothing is taken for a redelivery), with a marker notification (lib/markers.ts) every
 * `markerEveryMs`. Each marker's send time is reported the moment it is handed to the
 * socket; the exporter's last-received timestamp for it says when it was counted.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { EXCHANGE } from '../lib/broker.js';
import { loadCorpus, messageIdOffset, serialId } from '../lib/corpus.js';
import { DEFAULT_TOPICS } from '../../src/nova/format.js';
import { OSLO_MESSAGE_KEY, OSLO_PUBLISH_OPTIONS, osloBody, routingKey, type OsloEnvelope } from '../../src/oslo/wire.js';
import { MARKER_EVENT_TYPE, MARKER_PUBLISHER, markerHost } from '../lib/markers.js';
import { nowEpochMs } from '../lib/http.js';
import { childArgs, exitOnTerm, report } from './common.js';

interface Args {
  url: string;
  corpusFile: string;
  rate: number;
  seconds: number;
  markerEveryMs: number;
  /** 7 hex digits naming this run; ids are <tag>0-... for traffic, <tag>1-... for markers. */
  tag: string;
}

const args = childArgs<Args>();
const corpus = loadCorpus(args.corpusFile);
const offsets = corpus.map((m) => messageIdOffset(m.body));
const MARKER_KEY = routingKey(DEFAULT_TOPICS.legacy, 'INFO');
const legacy = corpus.find((m) => m.routingKey === MARKER_KEY);
if (!legacy) throw new Error('corpus has no legacy INFO notification to model the marker on');
const outer = JSON.parse(legacy.body.toString('utf8')) as OsloEnvelope;
const inner = JSON.parse(outer[OSLO_MESSAGE_KEY]) as Record<string, unknown>;
const marker = (k: number): Buffer =>
  osloBody({
    ...inner,
    event_type: MARKER_EVENT_TYPE,
    publisher_id: `${MARKER_PUBLISHER}.${markerHost(k)}`,
    message_id: serialId(`${args.tag}1`, k),
  });

const connection = await connect(args.url);
const channel = await connection.createChannel();
exitOnTerm(() => connection.close());
report('ready');

const started = performance.now();
const elapsed = (): number => (performance.now() - started) / 1000;
let sent = 0;
let markers = 0;
let serial = 0;
let lateTicks = 0;
while (elapsed() < args.seconds) {
  const now = elapsed();
  if (now * 1000 >= markers * args.markerEveryMs) {
    markers++;
    channel.publish(EXCHANGE, MARKER_KEY, marker(markers), OSLO_PUBLISH_OPTIONS);
    report('marker', { k: markers, at: nowEpochMs() });
  }
  // Message n is due at n / rate seconds: pace on the schedule, not on the gaps.
  const due = Math.min(Math.floor(now * args.rate), Math.ceil(args.seconds * args.rate));
  if (due - sent > args.rate / 10) lateTicks++;
  let ok = true;
  while (sent < due) {
    const i = serial % corpus.length;
    const m = corpus[i];
    const at = offsets[i] ?? -1;
    if (!m) break;
    const body = Buffer.from(m.body);
    if (at >= 0) body.write(serialId(`${args.tag}0`, serial), at, 'latin1');
    ok = channel.publish(EXCHANGE, m.routingKey, body, OSLO_PUBLISH_OPTIONS);
    serial++;
    sent++;
    if (!ok) break;
  }
  if (!ok) await once(channel, 'drain');
  else await sleep(2);
}
report('done', { sent, markers, seconds: elapsed(), lateTicks });
