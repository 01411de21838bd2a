import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemotelerError } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import { createLogger, createRequestId, REDACTED, requestIdFrom } from '../../src/ops/index.js';
import { captureLog } from './support/log-capture.js';

// Every secret a Remoteler server handles, each a distinct marker that must never reach the output.
const PRIVATE_KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const KEY_BODY = PRIVATE_KEY.split('\n')[1]!;
const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJhbGljZSIsImdyb3VwcyI6WyJkZXYiXX0.c2lnbmF0dXJlLXNlY3JldC1tYXJrZXI';
const SECRETS = {
  bearer: 'bearer-marker-7f3a',
  password: 'password-marker-91bd',
  clientSecret: 'client-secret-marker-22aa',
  joinToken: 'join-token-marker-5c0e',
  oneTimeCode: 'one-time-code-marker-e4d1',
  state: 'state-marker-0b77',
  verifier: 'verifier-marker-6a2f',
  cookie: 'cookie-marker-8d13',
  childToken: 'child-token-marker-3e90',
};

function leaked(text: string): string[] {
  const found = Object.values(SECRETS).filter((secret) => text.includes(secret));
  if (text.includes(KEY_BODY)) found.push('private key');
  if (text.includes(JWT.split('.')[1]!)) found.push('jwt');
  return found;
}

describe('createLogger', () => {
  it('writes one JSON object per line with level names, time, message and the base fields', () => {
    const capture = captureLog();
    const logger = createLogger({ destination: capture.stream, base: { role: 'proxy' } });
    logger.info({ cluster: 'dev' }, 'proxy listening');
    const [line] = capture.lines();
    expect(line).toMatchObject({
      level: 'info',
      msg: 'proxy listening',
      cluster: 'dev',
      role: 'proxy',
      service: 'remoteler',
    });
    expect(typeof line?.time).toBe('string');
    expect(Number.isNaN(Date.parse(String(line?.time)))).toBe(false);
  });

  it('keeps every secret a server handles out of the output, in fields, messages, errors and child bindings', () => {
    const capture = captureLog();
    const logger = createLogger({ destination: capture.stream, level: 'debug' });
    logger.info(
      {
        req: {
          method: 'GET',
          headers: {
            authorization: `Bearer ${SECRETS.bearer}`,
            cookie: SECRETS.cookie,
            accept: 'application/json',
          },
        },
      },
      'request',
    );
    logger.info({ username: 'alice', password: SECRETS.password }, 'password login');
    logger.info({ connector: { id: 'okta', clientSecret: SECRETS.clientSecret } }, 'connector loaded');
    logger.warn({ join: { join_token: SECRETS.joinToken, role: 'proxy' } }, 'join attempt');
    logger.info({ redeem: { oneTimeCode: SECRETS.oneTimeCode, code_verifier: SECRETS.verifier } }, 'redeem');
    logger.info(`callback /v1/sso/callback?code=${SECRETS.oneTimeCode}&state=${SECRETS.state}`);
    logger.info(
      { url: `http://127.0.0.1:4000/callback?state=${SECRETS.state}&code=${SECRETS.oneTimeCode}` },
      'redirect',
    );
    logger.debug({ keyPem: PRIVATE_KEY }, 'key generated');
    logger.debug(`loaded ${PRIVATE_KEY}`);
    logger.info({ idToken: JWT }, 'id token received');
    logger.info(`upstream said: token=${SECRETS.joinToken} and Authorization: Bearer ${SECRETS.bearer}`);
    logger.info({ note: `id token ${JWT}` }, 'free text');
    logger.error(
      new RemotelerError('RMT_INTERNAL', `failed with Bearer ${SECRETS.bearer}`, {
        cause: new Error(`password=${SECRETS.password}`),
        details: { clientSecret: SECRETS.clientSecret },
      }),
      'wrapped failure',
    );
    logger.error({ err: new Error(`key ${PRIVATE_KEY}`) }, 'error field');
    logger.child({ reqId: 'r-1', token: SECRETS.childToken }).info('child line');

    expect(leaked(capture.text)).toEqual([]);
    const lines = capture.lines();
    expect(lines).toHaveLength(15);
    expect(lines[0]).toMatchObject({
      req: {
        method: 'GET',
        headers: { authorization: REDACTED, cookie: REDACTED, accept: 'application/json' },
      },
    });
    expect(lines[1]).toMatchObject({ username: 'alice', password: REDACTED });
    // What is not secret survives: error codes, names, roles.
    const failure = lines.find((l) => l.msg === 'wrapped failure');
    expect(failure?.err).toMatchObject({ code: 'RMT_INTERNAL', type: 'RemotelerError' });
    expect(String((failure?.err as { message?: string } | undefined)?.message)).toContain(
      'failed with Bearer',
    );
    expect(lines.at(-1)).toMatchObject({ reqId: 'r-1', token: REDACTED, msg: 'child line' });
  });

  it('keeps secrets out of the pretty format too', async () => {
    const capture = captureLog();
    const logger = createLogger({ destination: capture.stream, format: 'pretty' });
    logger.info({ password: SECRETS.password, authorization: `Bearer ${SECRETS.bearer}` }, 'pretty line');
    await capture.waitFor('pretty line');
    expect(capture.text).toContain('pretty line');
    expect(capture.text.trimStart().startsWith('{')).toBe(false);
    expect(leaked(capture.text)).toEqual([]);
  });

  it('cleans URLs the way JSON would show them, query secrets removed', () => {
    const capture = captureLog();
    const logger = createLogger({ destination: capture.stream });
    logger.info(
      { redirect: new URL(`http://127.0.0.1:5000/callback?code=${SECRETS.oneTimeCode}&x=1`) },
      'url',
    );
    expect(leaked(capture.text)).toEqual([]);
    expect(capture.lines()[0]?.redirect).toBe(`http://127.0.0.1:5000/callback?code=${REDACTED}&x=1`);
  });

  it('appends to a log file it creates with mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'remoteler-ops-log-'));
    try {
      const path = join(dir, 'logs', 'server.log');
      const logger = createLogger({ destination: path });
      logger.info({ password: SECRETS.password }, 'to a file');
      logger.flush();
      const text = await readFile(path, 'utf8');
      expect(text).toContain('to a file');
      expect(leaked(text)).toEqual([]);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes nothing below its level', () => {
    const capture = captureLog();
    const logger = createLogger({ destination: capture.stream, level: 'warn' });
    logger.info('not shown');
    logger.warn('shown');
    expect(capture.lines().map((l) => l.msg)).toEqual(['shown']);
  });

  it('refuses an unknown level or format with every problem listed', () => {
    expect(() => createLogger({ level: 'loud' as never, format: 'xml' as never })).toThrow(
      expect.objectContaining({
        code: 'RMT_CONFIG_INVALID',
        details: { problems: [expect.stringContaining('level'), expect.stringContaining('format')] },
      }),
    );
  });
});

describe('request ids', () => {
  it('are fresh UUIDs unless the caller sent a well-formed X-Request-Id', () => {
    expect(createRequestId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(createRequestId()).not.toBe(createRequestId());
    expect(requestIdFrom('lb-0123456789abcdef')).toBe('lb-0123456789abcdef');
    expect(requestIdFrom(['lb-0123456789abcdef', 'other'])).toBe('lb-0123456789abcdef');
    // Too short, or characters that could forge a log field or a header: replaced.
    for (const bad of ['x', 'id"with\\"quote', 'line\nbreak-0123456789', undefined])
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
