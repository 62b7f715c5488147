import { hostLabel, redactUrlsIn, type BrokerHost } from './url.js';

/**
 * amqplib errors → one line an operator can act on. Permanent problems (credentials,
 * vhost, permissions) are told apart from the broker simply being away, because they need
 * a person and not a retry.
 */
export interface BrokerProblem {
  readonly message: string;
  /** true when retrying cannot help until someone changes a setting. */
  readonly permanent: boolean;
}

export function describeConnectError(err: unknown, host: BrokerHost, vhost: string): BrokerProblem {
  const where = `${host.hostname}:${host.port}`;
  const code = (err as { code?: unknown })?.code;
  const text = redactUrlsIn(err instanceof Error ? err.message : String(err));
  if (/ACCESS_REFUSED|ACCESS-REFUSED|403/.test(text) && /login|auth|PLAIN/i.test(text)) {
    return {
      permanent: true,
      message: `broker ${where} refused the login of user "${host.username}": check the user and password in --amqp.url`,
    };
  }
  if (/vhost .* not found/i.test(text)) {
    return {
      permanent: true,
      message: `vhost "${vhost}" does not exist on ${where}: create it (rabbitmqctl add_vhost) or fix the path of --amqp.url`,
    };
  }
  if (/access to vhost .* refused/i.test(text)) {
    return {
      permanent: true,
      message: `user "${host.username}" has no access to vhost "${vhost}" on ${where}: rabbitmqctl set_permissions -p ${vhost} ${host.username} ".*" ".*" ".*"`,
    };
  }
  // amqplib drops the broker's reason when it refuses connection.open (530 NOT_ALLOWED), which
  // it does for a missing vhost and for a user without access to it alike.
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(text)) {
    return {
      permanent: true,
      message: `broker ${where} refused vhost "${vhost}" to user "${host.username}": the vhost does not exist (rabbitmqctl list_vhosts) or the user has no access to it (rabbitmqctl set_permissions -p ${vhost} ${host.username} ".*" ".*" ".*")`,
    };
  }
  if (code === 'ECONNREFUSED') return { permanent: false, message: `nothing listens on ${where} (is RabbitMQ running?)` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { permanent: false, message: `cannot resolve host ${host.hostname}` };
  if (code === 'ETIMEDOUT' || /timeout|timed out|ETIMEDOUT/i.test(text))
    return { permanent: false, message: `no answer from ${where} in time` };
  if (code === 'ECONNRESET' || /socket closed|Socket closed|handshake/i.test(text)) {
    return { permanent: false, message: `${where} closed the connection during the handshake (${text.slice(0, 160)})` };
  }
  return { permanent: false, message: `cannot connect to ${hostLabel(host)}: ${text.slice(0, 200)}` };
}

/** The broker's own words from a channel or connection close, without amqplib's framing. */
export function serverMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const m = /with message "([^"]*)"/.exec(text);
  return redactUrlsIn(m?.[1] ?? text).slice(0, 300);
}

export function errorCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}
