/**
 * `check`: connects with serve's settings and says, one line per item, whether the
 * broker, the exchanges, the exporter's queue and its bindings are as serve needs them,
 * and whether notifications flow. It changes nothing (passive declares only; its
 * temporary queue is exclusive and auto-delete) unless --fix is given.
 */
import type { ChannelModel } from 'amqplib';
import { closeQuietly } from '../amqp/close.js';
import { ConnectError, connectToBroker } from '../amqp/connect.js';
import { errorCode, serverMessage } from '../amqp/errors.js';
import { managementClient, ManagementError, type ManagementClient, type QueueInfo } from '../amqp/management.js';
import {
  ARG_FLAGS,
  declareExchange,
  declareQueue,
  describeDeclaration,
  exchangeExists,
  missingExchangeRule,
  queueArguments,
  withChannel,
} from '../amqp/topology.js';
import { bindingKeys } from '../oslo/wire.js';
import { competingConsumers, SPLIT_WARNING } from '../amqp/queue-sharing.js';
import { shellWord } from '../amqp/shell-word.js';
import { hostLabel, redactedUrl } from '../amqp/url.js';
import type { ConfigFor } from '../config/config.js';

type Config = ConfigFor<'check'>;
import { VERSION } from '../version.js';
import { elsewhereHint, findOsloTraffic, novaSeenElsewhere, type OsloTraffic } from './check-elsewhere.js';
import { waitForNotification } from './check-flow.js';
import { checkStateQueue } from './check-state-queue.js';
import { FIX_FLAG, formatVerdict, NOVA_SENDS_NOTHING_HINT, NOTHING_FLOWING_HINT, summarize, type Verdict } from './check-verdicts.js';
import { printable } from './tail-format.js';

export interface CheckIo {
  readonly stdout: NodeJS.WritableStream;
  /** Aborted on Ctrl-C / SIGTERM: stops waiting for traffic. */
  readonly signal: AbortSignal;
}

interface Context {
  readonly config: Config;
  readonly connection: ChannelModel;
  readonly management: ManagementClient | undefined;
  /** oslo's queues in the vhost and the other exchanges that carry notifications. */
  readonly traffic: OsloTraffic;
  readonly report: (v: Verdict) => void;
}

/** Resolves with the exit code: 0 when nothing failed (warnings allowed), 1 otherwise. */
export async function runCheck(config: Config, io: CheckIo): Promise<number> {
  const verdicts: Verdict[] = [];
  const report = (v: Verdict): void => {
    verdicts.push(v);
    io.stdout.write(`${formatVerdict(v)}\n`);
  };
  const done = (): number => {
    io.stdout.write(`${summarize(verdicts)}\n`);
    return verdicts.some((v) => v.status === 'FAIL') ? 1 : 0;
  };
  const { amqp, nova } = config;
  for (const notice of config.notices) report({ status: 'warn', text: notice });
  if (nova.configFile !== undefined) {
    report(
      nova.silentReason
        ? {
            status: 'FAIL',
            text: `${nova.configFile}: ${nova.silentReason}`,
            hint: 'set `driver = messagingv2` in [oslo_messaging_notifications] on every Nova service and restart them',
          }
        : {
            status: 'ok',
            text: `${nova.configFile}: Nova sends ${nova.notificationFormat} notifications on ${amqp.topics.join(', ')} to ${amqp.exchanges.join(', ')}`,
          },
    );
  }

  let connection: ChannelModel;
  try {
    const connected = await connectToBroker({ ...amqp, connectionName: `openstack-notification-exporter ${VERSION} check` });
    connection = connected.connection;
    report({
      status: 'ok',
      text: `broker ${hostLabel(connected.host)} accepted user "${connected.host.username}" on vhost "${amqp.address.vhost}"`,
    });
  } catch (err) {
    const problem = err instanceof ConnectError ? err.problem : { message: String(err), permanent: false };
    report({
      status: 'FAIL',
      text: `cannot use the broker ${redactedUrl(amqp.address)}: ${problem.message}`,
      hint: /\bTLS\b|certificate/.test(problem.message)
        ? "use the scheme, port and CA of Nova's transport_url (rabbit://...?ssl=1 is amqps://, usually on port 5671)"
        : problem.permanent
          ? "use the user, password and vhost of Nova's transport_url (rabbitmqctl list_users; rabbitmqctl list_permissions -p <vhost>)"
          : 'is RabbitMQ running and reachable from here on the host and port of --amqp.url?',
    });
    return done();
  }
  connection.on('error', () => undefined); // a lost connection fails the step in progress

  try {
    const management = await checkManagement(config, report);
    const traffic = await findOsloTraffic(connection, management, amqp.address.vhost, amqp.exchanges, amqp.topics);
    const ctx: Context = { config, connection, management, traffic, report };
    const present = await checkExchanges(ctx);
    await checkQueue(ctx);
    if (amqp.singleActiveConsumer) {
      await checkStateQueue({
        connection,
        management,
        vhost: amqp.address.vhost,
        user: amqp.address.hosts[0]?.username ?? '',
        spec: { queue: amqp.queue, expiresSeconds: amqp.queueExpiresSeconds },
        report,
      });
    }
    await checkFlow(ctx, present, io.signal);
  } catch (err) {
    report({
      status: 'FAIL',
      text: `the broker refused a check: ${err instanceof Error ? serverMessage(err) : String(err)}`,
      hint: `does user have read and configure permissions on vhost "${amqp.address.vhost}"? (rabbitmqctl list_permissions)`,
    });
  } finally {
    await closeQuietly(connection);
  }
  return done();
}

async function checkManagement(config: Config, report: (v: Verdict) => void): Promise<ManagementClient | undefined> {
  const url = config.check.managementUrl;
  if (url === undefined) return undefined;
  const client = managementClient(url, config.amqp.connectTimeoutSeconds);
  try {
    const version = await client.version();
    report({ status: 'ok', text: `management API ${client.label}: RabbitMQ ${version}` });
    return client;
  } catch (err) {
    if (!(err instanceof ManagementError)) throw err;
    report({ status: 'FAIL', text: err.message, hint: managementHint(err) });
    return undefined;
  }
}

/** The API answered: a refusal is about credentials or tags; only an API that is not there needs enabling. */
function managementHint(err: ManagementError): string {
  if (err.status === 401) {
    return 'check the user and password in --management.url; the user needs the monitoring or administrator tag (rabbitmqctl set_user_tags)';
  }
  if (err.status === 403) return 'give the user of --management.url the monitoring or administrator tag (rabbitmqctl set_user_tags)';
  return 'enable it (rabbitmq-plugins enable rabbitmq_management) and give its URL with a user tagged monitoring or administrator';
}

/** Returns the exchanges present at the end (found or declared by --fix). */
async function checkExchanges({ config, connection, management, traffic, report }: Context): Promise<string[]> {
  const { amqp, check } = config;
  const present: string[] = [];
  for (const exchange of amqp.exchanges) {
    const rule = missingExchangeRule(amqp, exchange);
    if (!(await exchangeExists(connection, exchange))) {
      if (check.fix && rule.declare) {
        await declareExchange(connection, exchange, rule);
        present.push(exchange);
        report({
          status: 'ok',
          text: `exchange ${exchange} was missing: declared it as oslo does (topic, ${describeDeclaration(rule)}) as ${rule.source} says [${FIX_FLAG}]`,
        });
      } else if (check.fix && !rule.declare) {
        // Declared with the wrong durability it would break the service's own declaration (406).
        report({
          status: 'FAIL',
          text: `exchange ${exchange} missing, and not declared: how its service declares it is unknown`,
          hint: rule.advice,
        });
      } else {
        const hint = elsewhereHint(exchange, traffic, undefined, management !== undefined) ?? NOVA_SENDS_NOTHING_HINT;
        report({ status: 'FAIL', text: `exchange ${exchange} missing`, hint });
      }
      continue;
    }
    present.push(exchange);
    const info = await management?.exchange(amqp.address.vhost, exchange);
    if (info === undefined) {
      report({ status: 'ok', text: `exchange ${exchange} exists${management ? '' : ' (type and durability need --management.url)'}` });
    } else if (info.type !== 'topic') {
      report({
        status: 'FAIL',
        text: `exchange ${exchange} is a ${info.type} exchange, not topic`,
        hint: `Nova publishes to a topic exchange: delete it (rabbitmqctl delete_exchange -p ${shellWord(amqp.address.vhost)} ${shellWord(exchange)}) and let Nova declare it`,
      });
    } else if (rule.declare && (info.durable !== rule.durable || info.auto_delete !== rule.autoDelete)) {
      const actual = describeDeclaration({ durable: info.durable, autoDelete: info.auto_delete });
      report({
        status: 'FAIL',
        text: `exchange ${exchange} is ${actual}, but ${rule.source} says ${describeDeclaration(rule)}`,
        hint:
          'the service declares it as its settings say, and that fails with 406 PRECONDITION_FAILED while they differ: correct the setting, or delete the exchange ' +
          `(rabbitmqctl delete_exchange -p ${shellWord(amqp.address.vhost)} ${shellWord(exchange)}) and let the service declare it again`,
      });
    } else {
      report({
        status: 'ok',
        text: `exchange ${exchange} exists (topic, ${describeDeclaration({ durable: info.durable, autoDelete: info.auto_delete })})`,
      });
    }
  }
  return present;
}

async function checkQueue(ctx: Context): Promise<void> {
  const { config, connection, management, report } = ctx;
  const { amqp, check } = config;
  const { vhost } = amqp.address;
  const keys = amqp.exchanges.flatMap((x) => bindingKeys(amqp.topics).map((k) => `${x} ${k}`)).join(', ');
  const stats = await withChannel(connection, (ch) => ch.checkQueue(amqp.queue)).catch((err: unknown) => {
    if (errorCode(err) === 404) return undefined;
    throw err;
  });
  if (stats === undefined) {
    if (check.fix) {
      await declareQueue(connection, amqp, vhost);
      report({ status: 'ok', text: `queue ${amqp.queue} was missing: declared it and bound it (${keys}) as serve does [${FIX_FLAG}]` });
    } else {
      report({
        status: 'FAIL',
        text: `queue ${amqp.queue} missing`,
        hint: `serve declares it when it starts, and the broker deletes it after --amqp.queue-expires-seconds without a consumer: start the exporter, or run check ${FIX_FLAG}`,
      });
    }
    return;
  }

  const info = await management?.queue(vhost, amqp.queue);
  const expected = queueArguments(amqp);
  const fixHint = (flag: string): string =>
    `set ${flag} to match, or delete the queue (rabbitmqctl delete_queue -p ${shellWord(vhost)} ${shellWord(amqp.queue)}): until then serve fails with 406`;
  if (info && !info.durable) {
    report({
      status: 'FAIL',
      text: `queue ${amqp.queue} is not durable; serve declares it durable`,
      hint: `delete it (rabbitmqctl delete_queue -p ${shellWord(vhost)} ${shellWord(amqp.queue)}) and let serve declare it`,
    });
  }
  // serve names no x-queue-type for classic, so a vhost's default queue type (quorum on kolla-style
  // brokers) decides: that queue is what serve declares, not a clash.
  const vhostType = info && amqp.queueType === 'classic' ? await management?.vhostDefaultQueueType(vhost) : undefined;
  const typeByVhost = vhostType !== undefined && info?.type === vhostType;
  if (info && !typeByVhost && (info.type ?? 'classic') !== amqp.queueType) {
    report({
      status: 'FAIL',
      text: `queue ${amqp.queue} is a ${info.type} queue but --amqp.queue-type is ${amqp.queueType}`,
      hint: fixHint('--amqp.queue-type'),
    });
  }
  for (const arg of ['x-expires', 'x-max-length']) {
    const flag = ARG_FLAGS[arg] as string;
    if (info && info.arguments[arg] !== expected[arg]) {
      report({
        status: 'FAIL',
        text: `queue ${amqp.queue} has ${arg} ${String(info.arguments[arg] ?? 'unset')}, serve asks for ${String(expected[arg])}`,
        hint: fixHint(flag),
      });
    }
  }
  const { messageCount, consumerCount } = stats;
  const byVhost = typeByVhost && vhostType !== 'classic' ? `; ${vhostType}, the vhost's default queue type` : '';
  report({
    status: 'ok',
    text: `queue ${amqp.queue} exists: ${count(messageCount, 'message')} ready, ${consumers(amqp.singleActiveConsumer, consumerCount, info)}${byVhost}`,
  });
  // The queue's own argument when the management API tells it; else what serve would declare.
  const singleActive = info ? info.arguments['x-single-active-consumer'] === true : amqp.singleActiveConsumer;
  if (competingConsumers(consumerCount, singleActive) > 0) {
    report({
      status: 'warn',
      text: `queue ${amqp.queue} has ${count(consumerCount, 'consumer')}: ${SPLIT_WARNING}`,
      hint:
        'without --ha the broker hands each message to one of them in turn, so each exporter counts part of the notifications ' +
        '(replicas started with --ha only wait: give check --ha too, or --management.url to read the queue)',
    });
  }
  if (consumerCount === 0) {
    report({
      status: 'warn',
      text: `nobody consumes queue ${amqp.queue}: the exporter is not running`,
      hint: 'start the exporter (serve); the queue keeps at most --amqp.queue-max-length messages meanwhile',
    });
  }
  if (messageCount >= amqp.queueMaxLength * 0.9) {
    report({
      status: 'warn',
      text: `queue ${amqp.queue} holds ${messageCount} of at most ${amqp.queueMaxLength} messages: the oldest are being dropped`,
      hint: 'is the exporter running and keeping up?',
    });
  }
  await checkBindings(ctx);
}

async function checkBindings({ config, connection, management, report }: Context): Promise<void> {
  const { amqp, check } = config;
  const wanted = amqp.exchanges.flatMap((exchange) => bindingKeys(amqp.topics).map((key) => ({ exchange, key })));
  const listed = await management?.queueBindings(amqp.address.vhost, amqp.queue);
  if (listed === undefined && !check.fix) {
    report({
      status: 'warn',
      text: `bindings of queue ${amqp.queue} not checked: AMQP cannot list bindings`,
      hint: 'give --management.url to check them',
    });
    return;
  }
  const missing = wanted.filter((w) => !listed || !listed.some((b) => b.source === w.exchange && b.routing_key === w.key));
  const shown = (list: typeof wanted): string => list.map((w) => `${w.exchange} ${w.key}`).join(', ');
  if (check.fix && missing.length > 0) {
    // Binding is idempotent: without a list from the management API, (re)binding all is the fix.
    await withChannel(connection, async (ch) => {
      for (const w of missing) await ch.bindQueue(amqp.queue, w.exchange, w.key);
    });
    report({ status: 'ok', text: `queue ${amqp.queue} bound (${shown(missing)}) as serve does [${FIX_FLAG}]` });
    return;
  }
  for (const w of missing) {
    report({
      status: 'FAIL',
      text: `queue ${amqp.queue} is not bound to ${w.exchange} with ${w.key}`,
      hint: `serve binds it when it starts: restart the exporter, or run check ${FIX_FLAG}`,
    });
  }
  if (missing.length === 0) report({ status: 'ok', text: `queue ${amqp.queue} is bound (${shown(wanted)})` });
}

async function checkFlow(
  { config, connection, management, traffic, report }: Context,
  exchanges: string[],
  signal: AbortSignal,
): Promise<void> {
  const { amqp, check } = config;
  if (check.waitSeconds === 0) {
    report({ status: 'warn', text: 'notification flow not checked (--check.wait-seconds 0)' });
    return;
  }
  if (exchanges.length === 0) return; // each missing exchange has failed already
  // Nova's are those of --amqp.exchange: the ones no other service named claims.
  const otherExchanges = new Set(amqp.services.filter((s) => s.name !== 'nova').flatMap((s) => s.exchanges));
  const novaOwn = amqp.exchanges.filter((x) => !otherExchanges.has(x));
  const novaExchanges = novaOwn.length > 0 ? novaOwn : amqp.exchanges;
  const where = `${exchanges.join(', ')} (${bindingKeys(amqp.topics).join(', ')})`;
  // With several services, wait until each has been heard from (or the time is up).
  const services = amqp.services.map((s) => ({
    name: s.name,
    exchanges: s.name === 'nova' ? novaExchanges : s.exchanges,
  }));
  const heardFrom = (seen: ReadonlyMap<string, unknown>, s: { exchanges: readonly string[] }) => s.exchanges.some((x) => seen.has(x));
  const flow = await waitForNotification(connection, exchanges, amqp.topics, check.waitSeconds, signal, traffic.watch, (seen) =>
    services.every((s) => heardFrom(seen, s)),
  );
  const got = flow.arrival;
  const fed = traffic.feedingConfigured.find((f) => exchanges.includes(f.exchange));
  if (got === undefined && fed !== undefined && novaSeenElsewhere(flow) === undefined) {
    // oslo bound its queue to the configured exchange: the service publishes there, it was only quiet.
    const stats = (await management?.exchange(amqp.address.vhost, fed.exchange))?.message_stats;
    const rate = stats?.publish_in_details?.rate;
    const published =
      stats?.publish_in === undefined ? '' : `; ${stats.publish_in} published to it so far${rate === undefined ? '' : `, ${rate}/s now`}`;
    report({
      status: 'warn',
      text:
        `no notification within ${check.waitSeconds} s on ${where}${signal.aborted ? ' (interrupted)' : ''}, but ${fed.exchange} ` +
        `feeds oslo's ${fed.queue}: the service publishes to it and was quiet meanwhile${published}`,
      hint: 'create or stop a server (or run `simulate`) while check waits, or wait longer with --check.wait-seconds',
    });
  } else if (got === undefined) {
    report({
      status: 'FAIL',
      text: `no notification within ${check.waitSeconds} s on ${where}${signal.aborted ? ' (interrupted)' : ''}`,
      hint: elsewhereHint(exchanges[0] as string, traffic, flow, management !== undefined) ?? NOTHING_FLOWING_HINT,
    });
  } else if (!got.decoded.ok) {
    report({
      status: 'warn',
      text: `a message arrived on ${got.exchange} (${got.routingKey}) but is not a notification: ${got.decoded.reason}`,
      hint: 'serve drops such messages and counts them by reason',
    });
  } else {
    const n = got.decoded.notification;
    report({
      status: 'ok',
      text: `notifications flow: got ${printable(n.eventType)} from ${printable(n.publisherId || 'an unknown publisher')} on ${got.exchange} (${got.routingKey})`,
    });
  }
  if (services.length < 2 || got === undefined) return;
  for (const s of services) {
    const first = s.exchanges.map((x) => flow.firstByExchange.get(x)).find((a) => a !== undefined);
    report(
      first
        ? {
            status: 'ok',
            text: `${s.name} sends: got ${first.decoded.ok ? printable(first.decoded.notification.eventType) : 'a message'} on ${first.exchange}`,
          }
        : {
            status: 'warn',
            text: `${s.name} sent nothing within ${check.waitSeconds} s on ${s.exchanges.join(', ')}`,
            hint: `is [oslo_messaging_notifications] driver = messagingv2 set in ${s.name}'s configuration, and does it publish to ${s.exchanges.join(' or ')} (control_exchange)?`,
          },
    );
  }
}

/**
 * Who consumes. With --ha the queue has a single active consumer, and AMQP counts only that
 * one: the replicas waiting behind it are listed by the management API alone.
 */
function consumers(singleActive: boolean, amqpCount: number, info: QueueInfo | undefined): string {
  if (!singleActive || amqpCount === 0) return count(amqpCount, 'consumer');
  const details = info?.consumer_details;
  if (details === undefined) return `${amqpCount} active (replicas waiting behind it are counted with --management.url)`;
  const active = details.filter((d) => d.activity_status === 'single_active').length;
  return `${Math.max(active, amqpCount)} active, ${details.filter((d) => d.activity_status === 'waiting').length} waiting`;
}

/** `1 consumer`, `2 consumers`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
