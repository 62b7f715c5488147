import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TEST_AMQP_HOST } from './target.js';

/**
 * A TCP proxy in front of the broker, so a test can cut, stall or reset the exporter's
 * connections without touching anyone else's (a publisher connects to the broker directly).
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private readonly server: Server;
  private stalled = false;
  port = 0;

  private constructor(
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(targetPort = Number(TEST_AMQP_HOST.split(':')[1]), targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as AddressInfo).port;
    return proxy;
  }

  private accept(client: Socket): void {
    const upstream = createConnection(this.targetPort, this.targetHost);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        // A stalled link swallows bytes both ways, like a dead network path: only heartbeats notice.
        if (!this.stalled) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop).on('error', drop);
    // While stalled, the broker giving up on its side must not reach the client as a close:
    // a black-holed link is only noticed by the client's own heartbeat check.
    upstream.on('close', () => (this.stalled ? upstream.destroy() : drop())).on('error', () => upstream.destroy());
  }

  /** Closes every proxied connection (FIN both ways). */
  cutAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Sends RST to the client side, as a crashed middlebox would. */
  resetAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
