import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeUserIdentity, MemoryCaKeyStore, TrustBundle, X509CertificateAuthority } from '../src/index.js';
import { expectCode, fullIdentity, HOUR, openAuthorities, userKeyPair } from './helpers.js';

async function issue(ca: X509CertificateAuthority) {
  return ca.issueUserCertificate({
    publicKey: { spki: userKeyPair().publicKeyPem },
    identity: fullIdentity(),
    ttlMs: HOUR,
    maxTtlMs: HOUR,
  });
}

describe('CA rotation', () => {
  it('trusts the new CA first, then signs with it, then drops the old one', async () => {
    const { user } = await openAuthorities();
    const oldId = user.signingCaId;
    const before = await issue(user);

    const started = await user.startRotation();
    expect(started.phase).toBe('init');
    expect(started.trustedCaIds).toHaveLength(2);
    const newId = started.trustedCaIds[1]!;
    // Still signing with the old key, but a verifier can already trust the new one.
    expect((await issue(user)).caId).toBe(oldId);
    expect(user.trustedCas().map((c) => c.id)).toEqual([oldId, newId]);

    const switched = await user.switchSigning();
    expect(switched).toMatchObject({ phase: 'update-clients', signingCaId: newId });
    const after = await issue(user);
    expect(after.caId).toBe(newId);

    // Grace period: certificates from both CAs are accepted, by the CA and by a bundle-only verifier.
    const grace = TrustBundle.from('user', [user.trustBundlePem()]);
    for (const certificate of [before, after]) {
      expect(user.decodeUserIdentity(certificate.certificatePem).caId).toBe(certificate.caId);
      expect(decodeUserIdentity(certificate.certificatePem, { trustedBundle: grace }).caId).toBe(
        certificate.caId,
      );
    }

    const finished = await user.finishRotation();
    expect(finished).toEqual({ phase: 'standby', signingCaId: newId, trustedCaIds: [newId] });
    expect(user.decodeUserIdentity(after.certificatePem).caId).toBe(newId);
    await expectCode(() => user.decodeUserIdentity(before.certificatePem), 'RMT_CA_CERT_UNTRUSTED');
  });

  it('gives the two generations distinct subjects and fingerprints', async () => {
    const { user } = await openAuthorities();
    await user.startRotation();
    const [a, b] = user.trustedCas();
    expect(a!.fingerprint).not.toBe(b!.fingerprint);
    expect(new X509Certificate(a!.certificatePem).subject).not.toBe(
      new X509Certificate(b!.certificatePem).subject,
    );
    expect(user.trustBundlePem()).toBe(a!.certificatePem + b!.certificatePem);
  });

  it('refuses steps out of order', async () => {
    const { user } = await openAuthorities();
    await expectCode(() => user.switchSigning(), 'RMT_CA_ROTATION_STATE_INVALID');
    await expectCode(() => user.finishRotation(), 'RMT_CA_ROTATION_STATE_INVALID');
    await user.startRotation();
    await expectCode(() => user.startRotation(), 'RMT_CA_ROTATION_STATE_INVALID');
    await expectCode(() => user.finishRotation(), 'RMT_CA_ROTATION_STATE_INVALID');
    // A refused step changed nothing.
    expect(user.rotationStatus().phase).toBe('init');
  });

  it('rotates the user CA without touching the host CA', async () => {
    const { user, host } = await openAuthorities();
    const hostBefore = host.rotationStatus();
    await user.startRotation();
    await user.switchSigning();
    await user.finishRotation();
    expect(host.rotationStatus()).toEqual(hostBefore);
  });

  it('persists every step, so a second instance on the same store sees the rotation', async () => {
    const { user, store } = await openAuthorities();
    await user.startRotation({ algorithm: 'ed25519' });
    await user.switchSigning();
    const reopened = await X509CertificateAuthority.open({
      kind: 'user',
      keyStore: store,
      clusterName: 'root.example.com',
    });
    expect(reopened.rotationStatus()).toEqual(user.rotationStatus());
    const certificate = await issue(reopened);
    expect(certificate.caId).toBe(user.signingCaId);
    expect(user.decodeUserIdentity(certificate.certificatePem).identity.username).toBe('alice@example.com');
    await user.finishRotation();
    expect((await reopened.reload()).trustedCaIds).toEqual([user.signingCaId]);
  });

  it('lets two replicas that start at once agree on one CA', async () => {
    const store = new MemoryCaKeyStore();
    const open = () => X509CertificateAuthority.open({ kind: 'user', keyStore: store, clusterName: 'c' });
    const [a, b] = await Promise.all([open(), open()]);
    expect(a.signingCaId).toBe(b.signingCaId);
    expect((await store.load('user'))?.signingKeyId).toBe(a.signingCaId);
  });

  it('refuses a step based on a stale view when another instance rotated meanwhile', async () => {
    const { user, store } = await openAuthorities();
    const other = await X509CertificateAuthority.open({
      kind: 'user',
      keyStore: store,
      clusterName: 'root.example.com',
    });
    await user.startRotation();
    await expectCode(() => other.startRotation(), 'RMT_CA_KEY_STORE_CONFLICT');
    expect((await other.reload()).phase).toBe('init');
    await other.switchSigning();
    expect((await user.reload()).signingCaId).toBe(other.signingCaId);
  });

  it('runs concurrent rotation calls one at a time', async () => {
    const { user } = await openAuthorities();
    const results = await Promise.allSettled([user.startRotation(), user.startRotation()]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(user.rotationStatus().trustedCaIds).toHaveLength(2);
  });
});
