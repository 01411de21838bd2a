import { claimsToTraits } from '@remoteler/sso-oidc';
import { describe, expect, it } from 'vitest';

describe('claimsToTraits', () => {
  it('makes string lists of strings, numbers, booleans and arrays of them', () => {
    expect(
      claimsToTraits({
        email: 'a@example.com',
        email_verified: true,
        level: 3,
        groups: ['devs', 7, { x: 1 }],
      }),
    ).toEqual({ email: ['a@example.com'], email_verified: ['true'], level: ['3'], groups: ['devs', '7'] });
  });

  it('leaves out objects, empty lists and claims that describe the token', () => {
    const traits = claimsToTraits({
      address: { country: 'NZ' },
      roles: [],
      nonce: 'n',
      aud: 'client',
      at_hash: 'h',
      sub: 'zoe',
    });
    expect(traits).toEqual({ sub: ['zoe'] });
  });

  it('lets the first source win when two carry the same claim (ID token before userinfo)', () => {
    expect(
      claimsToTraits({ email: 'signed@example.com' }, { email: 'other@example.com', name: 'Zoe' }),
    ).toEqual({
      email: ['signed@example.com'],
      name: ['Zoe'],
    });
  });

  it('drops values longer than 1024 characters instead of cutting them', () => {
    expect(claimsToTraits({ groups: ['ok', 'x'.repeat(1025)] })).toEqual({ groups: ['ok'] });
  });
});
