import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Issued {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  /** Paths of PEM files in dir. */
  readonly caCert: string;
  readonly server: Issued;
  readonly client: Issued;
  /** Another server certificate from the same CA, with CN `subject`, as `name`.crt/.key in dir. */
  issueServer(name: string, subject: string): Promise<Issued>;
  remove(): Promise<void>;
}

const SERVER_EXT = 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n';
const CLIENT_EXT = 'subjectAltName=DNS:prometheus\nextendedKeyUsage=clientAuth\n';

/**
 * A CA of its own, a server certificate for 127.0.0.1, ::1 and localhost, and a client
 * certificate, made with Debian's openssl in a temp dir.
 */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(tmpdir(), 'osne-pki-'));
  const p = (f: string): string => path.join(dir, f);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl('req', '-x509', ...ec, '-days', '2', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=osne test CA');
  const issue = async (name: string, subject: string, extensions: string): Promise<Issued> => {
    await writeFile(p(`${name}.ext`), extensions);
    await openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${subject}`);
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    );
    return { cert: p(`${name}.crt`), key: p(`${name}.key`) };
  };
  const server = await issue('server', 'exporter-1', SERVER_EXT);
  const client = await issue('client', 'prometheus', CLIENT_EXT);
  return {
    dir,
    caCert: p('ca.crt'),
    server,
    client,
    issueServer: (name, subject) => issue(name, subject, SERVER_EXT),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
