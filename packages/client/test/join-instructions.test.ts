import { joinInstructions } from '@remoteler/client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const base = {
  authServer: 'auth.example.com:3025',
  clusterName: 'root',
  hostCaPin: `sha256:${'a'.repeat(64)}`,
};

describe('joinInstructions', () => {
  it('gives a proxy-only remoteler.yaml that names no secret, and the start command with the token in the environment', () => {
    const join = joinInstructions({ ...base, token: 'tok_EN-1', role: 'proxy' });
    expect(parse(join.config as string)).toEqual({
      version: 'v1',
      roles: ['proxy'],
      cluster_name: 'root',
      proxy: {
        auth_server: 'https://auth.example.com:3025',
        auth_ca_pin: base.hostCaPin,
        join_token: { env: 'REMOTELER_JOIN_TOKEN' },
        clusters: [],
      },
    });
    expect(join.config).not.toContain('tok_EN-1');
    expect(join.command).toBe(
      "REMOTELER_JOIN_TOKEN='tok_EN-1' remoteler-server start --config remoteler.yaml",
    );
  });

  it('prints no shell command for a token that is not plain base64url (it could break out of the quotes)', () => {
    expect(joinInstructions({ ...base, token: "x'; rm -rf ~; '", role: 'proxy' })).toEqual({});
  });

  it('has no reference-server instructions for agents yet', () => {
    expect(joinInstructions({ ...base, token: 'abc', role: 'agent' })).toEqual({});
  });
});
