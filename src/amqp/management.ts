/**
 * The little of RabbitMQ's management HTTP API that `check` needs for what AMQP cannot
 * tell: an exchange's type and durability, a queue's arguments and size, its bindings,
 * and a user's permissions.
 * Read-only. The URL's password goes into the Authorization header and nowhere else.
 */
import { redactUrlsIn } from '../oslo/secrets.js';

export class ManagementError extends Error {
  /** The HTTP status when the API answered (401: wrong credentials), undefined when it could not be reached. */
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ExchangeInfo {
  readonly type: string;
  readonly durable: boolean;
  readonly auto_delete: boolean;
  /** Absent until something was published (and with stats collection off). */
  readonly message_stats?: { readonly publish_in?: number; readonly publish_in_details?: { readonly rate: number } };
}

export interface QueueInfo {
  readonly durable: boolean;
  readonly type?: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** With x-single-active-consumer, each consumer's activity_status: `single_active` or `waiting`. */
  readonly consumer_details?: readonly { readonly activity_status?: string }[];
  /** Messages in the queue and their bodies' bytes (absent until the broker has sampled the queue). */
  readonly messages?: number;
  readonly message_bytes?: number;
}

/** A user's permissions on a vhost: regular expressions over resource names. */
export interface PermissionInfo {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface BindingInfo {
  readonly source: string;
  readonly routing_key: string;
}

export interface ManagementClient {
  /** The URL as a person may see it (password masked). */
  readonly label: string;
  /** RabbitMQ's version; throws ManagementError when the API cannot be used. */
  version(): Promise<string>;
  /** undefined when the exchange does not exist. */
  exchange(vhost: string, name: string): Promise<ExchangeInfo | undefined>;
  queue(vhost: string, name: string): Promise<QueueInfo | undefined>;
  queueBindings(vhost: string, queue: string): Promise<BindingInfo[] | undefined>;
  /** The type a queue declared without x-queue-type gets in this vhost (RabbitMQ 3.11+); undefined when none is set. */
  vhostDefaultQueueType(vhost: string): Promise<string | undefined>;
  /** The names of the vhost's queues; undefined when the vhost does not exist. */
  queueNames(vhost: string): Promise<string[] | undefined>;
  /** undefined when the user has no permissions on the vhost. */
  permissions(vhost: string, user: string): Promise<PermissionInfo | undefined>;
}

export function managementClient(url: string, timeoutSeconds: number): ManagementClient {
  const parsed = new URL(url);
  const username = decodeURIComponent(parsed.username);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (username !== '' || parsed.password !== '') {
    headers['authorization'] = `Basic ${Buffer.from(`${username}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
  }
  // fetch refuses URLs that carry credentials; they travel in the header instead.
  parsed.username = '';
  parsed.password = '';
  const base = parsed.href.replace(/\/+$/, '');
  const label = redactUrlsIn(url);

  async function get<T>(path: string): Promise<T | undefined> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new ManagementError(`cannot reach the management API at ${label}: ${redactUrlsIn(why)}`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status === 401) {
      await res.body?.cancel();
      throw new ManagementError(`the management API at ${label} refused user "${username}" (401)`, 401);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ManagementError(`the management API at ${label} answered ${res.status} to ${path}`, res.status);
    }
    try {
      return (await res.json()) as T;
    } catch {
      throw new ManagementError(`the management API at ${label} did not answer JSON: is it the management port (15672)?`);
    }
  }

  const vh = (vhost: string): string => encodeURIComponent(vhost);
  return {
    label,
    async version() {
      const overview = await get<{ rabbitmq_version?: string }>('/api/overview');
      if (overview === undefined) throw new ManagementError(`no management API at ${label} (404 for /api/overview)`);
      return overview.rabbitmq_version ?? 'unknown';
    },
    exchange: (vhost, name) => get<ExchangeInfo>(`/api/exchanges/${vh(vhost)}/${encodeURIComponent(name)}`),
    queue: (vhost, name) => get<QueueInfo>(`/api/queues/${vh(vhost)}/${encodeURIComponent(name)}`),
    queueBindings: (vhost, queue) => get<BindingInfo[]>(`/api/queues/${vh(vhost)}/${encodeURIComponent(queue)}/bindings`),
    async vhostDefaultQueueType(vhost) {
      const info = await get<{ default_queue_type?: string; metadata?: { default_queue_type?: string } }>(`/api/vhosts/${vh(vhost)}`);
      // RabbitMQ 3.10 answers "undefined" (a string) for a vhost without one.
      const type = info?.metadata?.default_queue_type ?? info?.default_queue_type;
      return type === undefined || type === 'undefined' ? undefined : type;
    },
    permissions: (vhost, user) => get<PermissionInfo>(`/api/permissions/${vh(vhost)}/${encodeURIComponent(user)}`),
    async queueNames(vhost) {
      const queues = await get<{ name: string }[]>(`/api/queues/${vh(vhost)}?columns=name`);
      return queues?.map((q) => q.name);
    },
  };
}
