import { AUDIT_EVENT_CODES, assertAuditEvent, createAuditEvent, RemotelerError } from '@remoteler/core';
import { sampleAuditEvents } from '@remoteler/core/testing';
import { describe, expect, it } from 'vitest';

describe('audit events', () => {
  it('have one distinct, stable code per type', () => {
    const codes = Object.values(AUDIT_EVENT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^R\d{4}[IW]$/);
    // Published codes never change meaning: pin a few.
    expect(AUDIT_EVENT_CODES['kube.request']).toBe('R3000I');
    expect(AUDIT_EVENT_CODES['login.failure']).toBe('R1001W');
  });

  it('cover the types the design names', () => {
    expect(Object.keys(AUDIT_EVENT_CODES)).toEqual(
      expect.arrayContaining([
        'login.success',
        'login.failure',
        'cert.issued',
        'cert.reissued',
        'kube.request',
        'session.start',
        'session.end',
        'exec',
        'port_forward',
        'role.created',
        'role.updated',
        'role.deleted',
        'user.created',
        'lock.created',
        'kube_cluster.created',
        'kube_cluster.updated',
        'kube_cluster.deleted',
        'join_token.used',
        'join_token.created',
        'join_token.revoked',
        'host.renewed',
      ]),
    );
  });

  it('are built with their code, a fresh id and an RFC 3339 time', () => {
    const now = Date.parse('2026-03-04T05:06:07.089Z');
    const event = createAuditEvent(
      'role.deleted',
      { user: 'admin', name: 'dev' },
      { now, clientIp: '127.0.0.1' },
    );
    expect(event).toMatchObject({
      type: 'role.deleted',
      code: 'R5002I',
      time: '2026-03-04T05:06:07.089Z',
      clientIp: '127.0.0.1',
      user: 'admin',
      name: 'dev',
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(createAuditEvent('role.deleted', { user: 'admin', name: 'dev' }).id).not.toBe(event.id);
  });

  it('pass the envelope check when well formed, one of each type', () => {
    for (const event of sampleAuditEvents()) assertAuditEvent(event);
  });

  it('fail the envelope check with every problem listed', () => {
    let error: unknown;
    try {
      assertAuditEvent({ type: 'kube.request', code: 'R1000I', id: '', time: 'later' });
    } catch (caught) {
      error = caught;
    }
    expect(RemotelerError.hasCode(error, 'RMT_AUDIT_EVENT_INVALID')).toBe(true);
    expect((error as RemotelerError).details?.problems).toHaveLength(3);
    expect(() =>
      assertAuditEvent({ type: 'made.up', code: 'R0000I', id: 'x', time: '2026-01-01T00:00:00Z' }),
    ).toThrow(/unknown type/);
  });
});
