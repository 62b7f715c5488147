import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect, type ChannelModel } from 'amqplib';
import { describeAllHostsFailed, describeConnectError, type BrokerProblem } from './errors.js';
import type { BrokerAddress, BrokerHost } from './url.js';

export interface ConnectOptions {
  readonly address: BrokerAddress;
  readonly tls: { readonly caFile?: string | undefined; readonly certFile?: string | undefined; readonly keyFile?: string | undefined };
  readonly heartbeatIntervalSeconds: number;
  readonly connectTimeoutSeconds: number;
  /** Shown in the broker's connection list (rabbitmqctl list_connections client_properties). */
  readonly connectionName: string;
}

export class ConnectError extends Error {
  constructor(readonly problem: BrokerProblem) {
    super(problem.message);
  }
}

/**
 * One connection to the first host of the failover list that accepts it, starting at
 * `startIndex`, like oslo's rabbit driver walks transport_url's hosts.
 */
/** Opens one connection to one host; injectable so the consumer's loop is tested without a broker. */
export type ConnectHost = (options: ConnectOptions, host: BrokerHost) => Promise<ChannelModel>;

export async function connectToBroker(
  options: ConnectOptions,
  startIndex = 0,
  connectHost: ConnectHost = amqpConnectHost,
): Promise<{ connection: ChannelModel; host: BrokerHost; index: number }> {
  const { hosts } = options.address;
  const problems: BrokerProblem[] = [];
  for (let i = 0; i < hosts.length; i++) {
    const index = (startIndex + i) % hosts.length;
    const host = hosts[index] as BrokerHost;
    try {
      return { connection: await connectHost(options, host), host, index };
    } catch (err) {
      problems.push(describeConnectError(err, host, options.address.vhost, options.address.tls));
    }
  }
  throw new ConnectError(
    problems.length > 0 ? describeAllHostsFailed(problems) : { message: 'no broker host configured', permanent: true },
  );
}

function amqpConnectHost(options: ConnectOptions, host: BrokerHost): Promise<ChannelModel> {
  const { address, tls } = options;
  return connect(
    {
      protocol: address.tls ? 'amqps' : 'amqp',
      hostname: host.hostname,
      port: host.port,
      username: host.username,
      password: host.password,
      vhost: address.vhost,
      heartbeat: options.heartbeatIntervalSeconds,
    },
    {
      timeout: options.connectTimeoutSeconds * 1000,
      clientProperties: { connection_name: options.connectionName },
      ...(address.tls
        ? {
            // SNI carries names only: Node warns (DEP0123) on stderr when given an IP address.
            ...(isIP(host.hostname) ? {} : { servername: host.hostname }),
            ca: tls.caFile ? [readFileSync(tls.caFile)] : undefined,
            cert: tls.certFile ? readFileSync(tls.certFile) : undefined,
            key: tls.keyFile ? readFileSync(tls.keyFile) : undefined,
          }
        : {}),
    },
  );
}
