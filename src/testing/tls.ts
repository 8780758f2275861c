/**
 * Test certificates made with the machine's openssl: a CA and a serving certificate for 127.0.0.1
 * and localhost (P-256, 1 day). For the webhook's unit and e2e tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCerts {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

/** A CA in `dir` (created under the OS temp dir when not given). */
export async function createTestCa(dir?: string): Promise<{ dir: string; caCert: string; caKey: string }> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'kubehooks-tls-')));
  await openssl(d, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key']);
  await openssl(d, [
    'req', '-x509', '-new', '-key', 'ca.key', '-days', '1', '-subj', '/CN=kubehooks-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ca.crt',
  ]);
  return { dir: d, caCert: join(d, 'ca.crt'), caKey: join(d, 'ca.key') };
}

/** A serving certificate signed by the CA, written to `${name}.crt` / `${name}.key`. */
export async function issueServingCert(ca: { dir: string }, name: string, commonName = 'kubehooks-webhook'): Promise<{ cert: string; key: string }> {
  const d = ca.dir;
  await openssl(d, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  await openssl(d, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${commonName}`, '-out', `${name}.csr`]);
  await writeFile(
    join(d, `${name}.ext`),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  await openssl(d, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
    '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`,
  ]);
  return { cert: join(d, `${name}.crt`), key: join(d, `${name}.key`) };
}

export async function createTestCerts(dir?: string): Promise<TestCerts> {
  const ca = await createTestCa(dir);
  const serving = await issueServingCert(ca, 'serving');
  return { ...ca, ...serving };
}
