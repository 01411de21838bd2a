import { DEFAULT_SCRYPT_COST, hashPassword, parsePasswordHash, verifyPassword } from '@remoteler/core';
import { expectRemotelerError } from '@remoteler/core/testing';
import { describe, expect, it } from 'vitest';

const cost = { logN: 10, r: 8, p: 1 };

describe('password hashes', () => {
  it('encode their parameters, salt and key in the PHC string format', async () => {
    const encoded = await hashPassword('s3cret', { cost });
    expect(encoded).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(parsePasswordHash(encoded).cost).toEqual(cost);
  });

  it('verify the right password and refuse any other', async () => {
    const encoded = await hashPassword('s3cret', { cost });
    expect(await verifyPassword('s3cret', encoded)).toBe(true);
    expect(await verifyPassword('s3cret ', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('use a fresh salt every time', async () => {
    expect(await hashPassword('same', { cost })).not.toBe(await hashPassword('same', { cost }));
  });

  it('default to the production cost N=2^17, r=8, p=1', async () => {
    expect(DEFAULT_SCRYPT_COST).toEqual({ logN: 17, r: 8, p: 1 });
    const encoded = await hashPassword('production');
    expect(encoded.startsWith('$scrypt$ln=17,r=8,p=1$')).toBe(true);
    expect(await verifyPassword('production', encoded)).toBe(true);
  });

  it('refuse strings that are not hashes, and costs that would exhaust the machine', async () => {
    for (const bad of [
      '',
      'plaintext',
      '$scrypt$ln=10,r=8$AAAA$BBBB',
      '$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA',
    ])
      await expectRemotelerError(() => parsePasswordHash(bad), 'RMT_AUTH_PASSWORD_HASH_INVALID');
    await expectRemotelerError(
      () => hashPassword('x', { cost: { logN: 30, r: 8, p: 1 } }),
      'RMT_AUTH_PASSWORD_HASH_INVALID',
    );
  });
});
