/**
 * Per-run certificates made with the machine's openssl: a CA, the API server's serving cert (kwok
 * serves its kubelet API with it too), an admin client cert in system:masters, and the service
 * account signing pair. P-256 keys: generated in milliseconds, accepted by every component.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PkiError } from './errors.ts';

const run = promisify(execFile);

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly saKey: string;
  readonly saPub: string;
}

const DAYS = '30';

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new PkiError(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

function genKey(dir: string, file: string): Promise<void> {
  return openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

async function signedCert(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await genKey(dir, `${name}.key`);
  await openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`,
    '-days',
    DAYS,
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

export async function createPki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await genKey(dir, 'ca.key');
  const ca = openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-days',
    DAYS,
    '-subj',
    '/CN=kubehooks-local-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    'ca.crt',
  ]);
  const sa = genKey(dir, 'sa.key').then(() =>
    openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']),
  );
  await ca;
  await Promise.all([
    sa,
    signedCert(
      dir,
      'apiserver',
      '/CN=kube-apiserver',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n',
    ),
    signedCert(
      dir,
      'admin',
      '/O=system:masters/CN=kubehooks-admin',
      'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
    ),
  ]);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
  };
}
