import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../testing/fake-api-server.ts';
import { ChangeSignal, until } from '../testing/changes.ts';
import { activeHandlesAfterSettling } from '../testing/handles.ts';
import { KubeClient } from './client.ts';
import { CredentialError } from './errors.ts';
import { OIDC_EXPIRY_LEEWAY_MS, OidcTokenSource, idTokenExpiry } from './oidc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubehooks-oidc-'));

const jwt = (expSeconds: number, sub = 'alice'): string =>
  [{ alg: 'none' }, { exp: expSeconds, sub }].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.sig';
const inAnHour = (): string => jwt(Math.floor(Date.now() / 1000) + 3600);
const expired = jwt(946_684_800);

/** A small IdP on 127.0.0.1: discovery and a token endpoint that answers, fails, or never answers. */
class FakeIdp {
  readonly seen: { path: string; authorization: string | undefined; body: string }[] = [];
  readonly open = new Set<Socket>();
  /** Notified on every request seen and every connection closed. */
  readonly changes = new ChangeSignal();
  mode: 'answer' | 'hang' | 'invalid-grant' | 'no-id-token' = 'answer';
  nextIdToken = inAnHour();
  rotateTo: string | undefined = 'rotated-refresh';
  #server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      this.seen.push({ path, authorization: req.headers.authorization, body });
      this.changes.notify();
      if (this.mode === 'hang') return;
      res.setHeader('Content-Type', 'application/json');
      if (path === '/realm/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer: this.url, token_endpoint: `${this.url}/token` }));
      } else if (path === '/token' && this.mode === 'invalid-grant') {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'Token is not active' }));
      } else if (path === '/token') {
        res.end(JSON.stringify({ access_token: 'a', token_type: 'Bearer', ...(this.mode === 'no-id-token' ? {} : { id_token: this.nextIdToken }), ...(this.rotateTo === undefined ? {} : { refresh_token: this.rotateTo }) }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  url = '';

  async start(): Promise<this> {
    this.#server.on('connection', (s: Socket) => {
      this.open.add(s);
      s.once('close', () => {
        this.open.delete(s);
        this.changes.notify();
      });
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get issuer(): string {
    return `${this.url}/realm`;
  }

  /** Waits until no client connection is open (the refresh's socket was destroyed), at most `ms`. */
  async drained(ms = 2000): Promise<boolean> {
    try {
      await until([this.changes], 'the IdP connections to close', () => this.open.size === 0, ms);
    } catch {
      return false;
    }
    return true;
  }

  /** Resolves once a request (discovery or token) arrives after this call. */
  nextRequest(): Promise<void> {
    const from = this.seen.length;
    return until([this.changes], 'a request at the IdP', () => this.seen.length > from);
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}

const config = (idp: FakeIdp, idToken: string): Record<string, string> => ({
  'idp-issuer-url': idp.issuer,
  'client-id': 'kube',
  'client-secret': 's3cr:t',
  'id-token': idToken,
  'refresh-token': 'refresh-1',
});

void describe('the oidc auth-provider: refresh under the request deadline and signal, cancelled on every path (issue 10)', () => {
  let idp: FakeIdp;
  before(async () => {
    idp = await new FakeIdp().start();
  });
  after(async () => {
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('idTokenExpiry reads the exp claim; a token that is not a JWT is an error, as in client-go', () => {
    assert.equal(idTokenExpiry(jwt(100)), 100_000);
    assert.equal(typeof idTokenExpiry('opaque'), 'string');
  });

  void it('[S-8] a valid id-token is used as is, without asking the IdP; one within the 10 s leeway is refreshed', async () => {
    idp.seen.length = 0;
    const token = inAnHour();
    const source = new OidcTokenSource({ userName: 'alice', config: config(idp, token) });
    assert.equal(await source.token({ deadlineMs: 1000 }), token);
    assert.equal(idp.seen.length, 0);
    const now = 1_000_000_000_000;
    const soon = new OidcTokenSource({ userName: 'alice', config: config(idp, jwt((now + OIDC_EXPIRY_LEEWAY_MS - 1) / 1000)), now: () => now });
    assert.equal(await soon.token({ deadlineMs: 5000 }), idp.nextIdToken);
  });

  void it('[R-16][S-8] an expired id-token is refreshed (discovery, refresh grant with Basic client auth), shared by concurrent requests, written back to the kubeconfig', async () => {
    idp.seen.length = 0;
    idp.nextIdToken = inAnHour();
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      ['# keep this comment', 'users:', '- name: bob', '  user: {token: x}', '- name: alice', '  user:', '    auth-provider:', '      name: oidc', '      config:', `        id-token: ${expired}`, '        refresh-token: refresh-1', ''].join('\n'),
    );
    const warnings: string[] = [];
    const source = new OidcTokenSource({ userName: 'alice', config: config(idp, expired), persistTo: file, warn: (w) => warnings.push(w) });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => source.token({ deadlineMs: 5000 })));
    assert.ok(tokens.every((t) => t === idp.nextIdToken));
    assert.deepEqual(idp.seen.map((s) => s.path), ['/realm/.well-known/openid-configuration', '/token'], 'one refresh for ten requests');
    const grant = idp.seen[1];
    assert.ok(grant);
    assert.equal(grant.authorization, `Basic ${Buffer.from('kube:s3cr%3At').toString('base64')}`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(grant.body)), { grant_type: 'refresh_token', refresh_token: 'refresh-1' });
    const written = readFileSync(file, 'utf8');
    assert.match(written, /^# keep this comment/);
    assert.match(written, new RegExp(`id-token: ${idp.nextIdToken.replace(/\./g, '\\.')}`));
    assert.match(written, /refresh-token: rotated-refresh/);
    assert.match(written, /name: bob\n\s+user: \{ token: x \}/, 'the other user is kept');
    assert.deepEqual(warnings, []);
    assert.equal(await source.token({ deadlineMs: 5000 }), idp.nextIdToken);
    assert.equal(idp.seen.length, 2, 'the refreshed token is used while valid');
  });

  void it('[R-16][S-8] an IdP that never answers: CredentialError at the deadline and the refresh connection is closed', async () => {
    idp.mode = 'hang';
    try {
      const source = new OidcTokenSource({ userName: 'alice', config: config(idp, expired) });
      const started = performance.now();
      await assert.rejects(source.token({ deadlineMs: 300 }), (e: unknown) => e instanceof CredentialError && /refreshing the oidc id-token of user "alice" took longer than 300 ms; it was stopped/.test(e.message));
      assert.ok(performance.now() - started < 2000);
      assert.equal(await idp.drained(), true, 'the connection to the IdP outlived the deadline');
    } finally {
      idp.mode = 'answer';
    }
  });

  void it('[R-16][S-8] the caller\'s abort and close() cancel a refresh in flight', async () => {
    idp.mode = 'hang';
    try {
      const source = new OidcTokenSource({ userName: 'alice', config: config(idp, expired) });
      const ctl = new AbortController();
      const reason = new Error('interrupted');
      const asked = idp.nextRequest();
      const refreshing = source.token({ deadlineMs: 60_000, signal: ctl.signal });
      await asked;
      ctl.abort(reason);
      await assert.rejects(refreshing, (e) => e === reason);
      assert.equal(await idp.drained(), true, 'abort left the IdP connection open');
      const other = new OidcTokenSource({ userName: 'alice', config: config(idp, expired) });
      const askedAgain = idp.nextRequest();
      const pending = other.token({ deadlineMs: 60_000 });
      await askedAgain;
      other.close();
      await assert.rejects(pending, CredentialError);
      assert.equal(await idp.drained(), true, 'close() left the IdP connection open');
      await assert.rejects(other.token({ deadlineMs: 1000 }), /closed/);
    } finally {
      idp.mode = 'answer';
    }
  });

  void it('[S-8] clear errors: no refresh-token, refused grant, no id_token in the answer, unreachable IdP', async () => {
    const cases: [Partial<Record<string, string>>, FakeIdp['mode'], RegExp][] = [
      [{ 'refresh-token': '' }, 'answer', /user "alice" has no valid oidc id-token and no refresh-token/],
      [{ 'id-token': 'opaque' }, 'answer', /the oidc id-token of user "alice" is not a valid JWT/],
      [{}, 'invalid-grant', /refreshing the oidc token of user "alice": .*\/token answered 400: invalid_grant \(Token is not active\)/],
      [{}, 'no-id-token', /the token response did not contain an id_token/],
      [{ 'idp-issuer-url': 'http://127.0.0.1:1/x' }, 'answer', /OpenID discovery of user "alice": http:\/\/127\.0\.0\.1:1 cannot be reached/],
    ];
    for (const [override, mode, want] of cases) {
      idp.mode = mode;
      const source = new OidcTokenSource({ userName: 'alice', config: { ...config(idp, expired), ...override } });
      await assert.rejects(source.token({ deadlineMs: 5000 }), (e: unknown) => e instanceof CredentialError && want.test(e.message));
    }
    idp.mode = 'answer';
  });

  void it('[R-9][R-16][S-8] through KubeClient: a request whose oidc refresh hangs fails within its deadline, and no IdP socket is left', async () => {
    const api = await FakeApiServer.start();
    idp.mode = 'hang';
    const file = join(dir, 'kc-client');
    writeFileSync(
      file,
      api
        .kubeconfigYaml()
        .replace('    token: fake-token', ['    auth-provider:', '      name: oidc', '      config:', `        idp-issuer-url: ${idp.issuer}`, '        client-id: kube', `        id-token: ${expired}`, '        refresh-token: refresh-1'].join('\n')),
    );
    const client = KubeClient.load({ kubeconfigPath: file, warn: () => undefined });
    try {
      const started = performance.now();
      await assert.rejects(
        client.request('GET', '/api/v1/pods', { signal: new AbortController().signal, what: 'list pods', timeoutMs: 400 }),
        (e: unknown) => e instanceof CredentialError && /took longer than 400 ms/.test(e.message),
      );
      assert.ok(performance.now() - started < 3000);
      assert.equal(api.requests.length, 0, 'no request without credentials');
      assert.equal(await idp.drained(), true, 'the IdP connection outlived the request');
    } finally {
      idp.mode = 'answer';
      client.close();
      await api.close();
    }
    // With an answering IdP the refreshed id-token authenticates the request.
    const ok = KubeClient.load({ kubeconfigPath: file, warn: () => undefined });
    try {
      await ok.request('GET', '/api/v1/pods', { signal: new AbortController().signal, what: 'list pods', timeoutMs: 5000 }).catch(() => undefined);
    } finally {
      ok.close();
    }
  });
});

void it('leaves no sockets, servers or timers behind', async () => {
  assert.deepEqual(await activeHandlesAfterSettling(), []);
});
