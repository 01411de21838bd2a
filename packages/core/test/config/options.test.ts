import { deepFreeze, formatIssuePath, parseOptions, RemotelerError } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const schema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  hosts: z.array(z.string().min(1)).default([]),
  tls: z.strictObject({ certFile: z.string() }),
});

describe('options validation', () => {
  it('returns the parsed options frozen, defaults included', () => {
    const options = parseOptions(schema, { port: 8443, tls: { certFile: '/c' } }, 'Proxy options');
    expect(options).toEqual({ port: 8443, hosts: [], tls: { certFile: '/c' } });
    expect(Object.isFrozen(options)).toBe(true);
    expect(Object.isFrozen(options.tls)).toBe(true);
    expect(Object.isFrozen(options.hosts)).toBe(true);
  });

  it('reports every problem at once, each with its path', () => {
    let error: unknown;
    try {
      parseOptions(schema, { port: 0, hosts: ['ok', ''], tls: {}, extra: true }, 'Proxy options');
    } catch (caught) {
      error = caught;
    }
    expect(RemotelerError.hasCode(error, 'RMT_CONFIG_INVALID')).toBe(true);
    const problems = (error as RemotelerError).details?.problems as Array<{ path: string }>;
    expect(problems.map((problem) => problem.path).sort()).toEqual(
      ['extra', 'hosts[1]', 'port', 'tls.certFile'].sort(),
    );
    expect((error as RemotelerError).message).toMatch(/^Proxy options is invalid: /);
  });

  it('renders paths the way YAML reads', () => {
    expect(formatIssuePath(['spec', 'allow', 'kubernetes_groups', 1])).toBe(
      'spec.allow.kubernetes_groups[1]',
    );
    expect(formatIssuePath([])).toBe('');
    expect(formatIssuePath(['metadata', 'labels', 'app.kubernetes.io/name'])).toBe(
      'metadata.labels["app.kubernetes.io/name"]',
    );
  });

  it('leaves class instances unfrozen (clocks, stores, buffers)', () => {
    const buffer = new Uint8Array(2);
    const frozen = deepFreeze({ buffer, list: [{ a: 1 }] });
    expect(Object.isFrozen(frozen.list[0])).toBe(true);
    expect(Object.isFrozen(buffer)).toBe(false);
  });
});
