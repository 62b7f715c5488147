import { shellWord } from './shell-word.js';
import { redactUrlsIn } from '../oslo/secrets.js';
import { hostLabel, type BrokerHost } from './url.js';

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

// OpenSSL's words when the other end answered, but not with TLS (a plain AMQP port sends its protocol header).
const NOT_TLS =
  /ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_PACKET_LENGTH_TOO_LONG|ERR_SSL_UNKNOWN_PROTOCOL|wrong version number|packet length too long|unknown protocol/i;
// Node's codes for a certificate the client does not accept.
const UNTRUSTED =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_UNTRUSTED)$/;

export function describeConnectError(err: unknown, host: BrokerHost, vhost: string, tls = false): BrokerProblem {
  const where = `${host.hostname}:${host.port}`;
  const code = (err as { code?: unknown })?.code;
  const text = redactUrlsIn(err instanceof Error ? err.message : String(err));
  if (tls && (NOT_TLS.test(String(code)) || NOT_TLS.test(text))) {
    return {
      permanent: true,
      message:
        host.port === 5671
          ? `${where} did not answer with TLS: is a TLS listener (listeners.ssl) configured on that port?`
          : `${where} did not answer with TLS: the TLS port is usually 5671`,
    };
  }
  if (tls && typeof code === 'string' && UNTRUSTED.test(code)) {
    return {
      permanent: true,
      message: `${where} sent a certificate this host does not trust (${code}): give its CA with --amqp.tls-ca-file`,
    };
  }
  if (tls && code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { permanent: true, message: `${where} sent a certificate for another name: connect by the name it was issued for` };
  }
  if (tls && code === 'CERT_HAS_EXPIRED') return { permanent: true, message: `${where} sent an expired certificate` };
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
      message: `user "${host.username}" has no access to vhost "${vhost}" on ${where}: rabbitmqctl set_permissions -p ${shellWord(vhost)} ${shellWord(host.username)} ".*" ".*" ".*"`,
    };
  }
  // amqplib drops the broker's reason when it refuses connection.open (530 NOT_ALLOWED), which
  // it does for a missing vhost and for a user without access to it alike.
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(text)) {
    return {
      permanent: true,
      message: `broker ${where} refused vhost "${vhost}" to user "${host.username}": the vhost does not exist (rabbitmqctl list_vhosts) or the user has no access to it (rabbitmqctl set_permissions -p ${shellWord(vhost)} ${shellWord(host.username)} ".*" ".*" ".*")`,
    };
  }
  if (code === 'ECONNREFUSED') return { permanent: false, message: `nothing listens on ${where} (is RabbitMQ running?)` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { permanent: false, message: `cannot resolve host ${host.hostname}` };
  if (code === 'ETIMEDOUT' || /timeout|timed out|ETIMEDOUT/i.test(text))
    return { permanent: false, message: `no answer from ${where} in time` };
  if (code === 'ECONNRESET' || /socket closed|Socket closed|handshake/i.test(text)) {
    // A TLS listener drops a plain AMQP client at once.
    const hint = !tls && host.port === 5671 ? ': port 5671 is usually TLS, use amqps://' : ` (${text.slice(0, 160)})`;
    return { permanent: false, message: `${where} closed the connection during the handshake${hint}` };
  }
  // OpenSSL's messages end in a newline: one line, whatever the library said.
  return { permanent: false, message: `cannot connect to ${hostLabel(host)}: ${oneLine(text).slice(0, 200)}` };
}

/** Each host's own reason when every host of the URL failed: retrying helps if any of them was transient. */
export function describeAllHostsFailed(problems: readonly BrokerProblem[]): BrokerProblem {
  if (problems.length === 1) return problems[0] as BrokerProblem;
  return {
    permanent: problems.every((p) => p.permanent),
    message: `all ${problems.length} broker hosts failed: ${problems.map((p) => p.message).join('; ')}`,
  };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
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
