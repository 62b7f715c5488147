/** What the figures were measured on. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly loadAverage: readonly number[];
  readonly kernel: string;
  readonly node: string;
  readonly rabbitmq: string;
  readonly erlang: string | undefined;
  readonly amqplib: string;
  readonly promClient: string;
  readonly kombu: string | undefined;
}

/** A dependency's version, from the package.json above its resolved entry (some packages do not export it). */
function packageVersion(name: string): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name));
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(rabbitmq: string, python: string): MachineInfo {
  let kombu: string | undefined;
  try {
    kombu = execFileSync(python, ['-c', 'import kombu, amqp; print(f"kombu {kombu.__version__}, py-amqp {amqp.__version__}")'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    kombu = undefined;
  }
  let erlang: string | undefined;
  try {
    erlang = /Erlang\/OTP \d+ \[erts-[\d.]+\]/.exec(execFileSync('rabbitmqctl', ['-q', 'status'], { encoding: 'utf8' }))?.[0];
  } catch {
    erlang = undefined;
  }
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    node: process.version,
    rabbitmq,
    erlang,
    amqplib: packageVersion('amqplib'),
    promClient: packageVersion('prom-client'),
    kombu,
  };
}
