/**
 * One --ha replica as the real CLI in a child process, for the tests that kill, stop and
 * restart replicas: its readiness, its metrics and the broker node it last connected to.
 */
import assert from 'node:assert/strict';
import { startCli, type CliRun } from './cli.js';
import { eventually } from './exporter.js';
import { parseMetrics, valueOf, type Sample } from './metrics-text.js';

export class ReplicaProcess {
  run!: CliRun;
  /** Between SIGSTOP and SIGCONT: it answers nothing, so nobody asks it. */
  paused = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly args: readonly string[],
  ) {}

  start(): void {
    this.run = startCli(['serve', ...this.args, '--web.listen-address', `127.0.0.1:${this.port}`]);
  }

  get alive(): boolean {
    return this.run.child.exitCode === null && this.run.child.signalCode === null;
  }

  async ready(): Promise<void> {
    await eventually(async () => assert.equal((await fetch(`http://127.0.0.1:${this.port}/-/ready`)).status, 200), 90_000, 100);
  }

  async scrape(): Promise<Sample[]> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return parseMetrics(await res.text());
  }

  async active(): Promise<boolean> {
    return valueOf(await this.scrape(), 'openstack_notification_exporter_active') === 1;
  }

  /** The AMQP port of the node it last connected to, from its own log. */
  brokerPort(): number {
    const lines = this.run
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"msg":"consuming"'));
    const broker = (JSON.parse(lines.at(-1) as string) as { broker: string }).broker;
    return Number(/:(\d+)$/.exec(broker)?.[1]);
  }

  kill(): Promise<number> {
    this.run.child.kill('SIGKILL');
    return this.run.exited;
  }

  pause(): void {
    this.paused = true;
    this.run.child.kill('SIGSTOP');
  }

  resume(): void {
    this.run.child.kill('SIGCONT');
    this.paused = false;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    if (this.paused) this.resume();
    this.run.child.kill('SIGTERM');
    await this.run.exited;
  }
}
