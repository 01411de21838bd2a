import { createPrivateKey, X509Certificate } from 'node:crypto';
import { MemoryCaKeyStore, X509CertificateAuthority } from '@remoteler/ca';
import { describe, expect, it } from 'vitest';
import { ListenerCertificate } from '../src/index.js';

async function authorities() {
  const keyStore = new MemoryCaKeyStore();
  const common = { keyStore, clusterName: 'gateway.test' };
  return {
    hostCa: await X509CertificateAuthority.open({ ...common, kind: 'host' }),
    userCa: await X509CertificateAuthority.open({ ...common, kind: 'user' }),
  };
}

describe('ListenerCertificate', () => {
  it('serves a host certificate for its own key, trusting the user CA for clients', async () => {
    const { hostCa, userCa } = await authorities();
    const listener = await ListenerCertificate.issue({
      hostCa,
      userCa,
      hostId: 'proxy-1',
      clusterName: 'gateway.test',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      ttlMs: 3_600_000,
      onError: () => {},
    });
    try {
      const material = listener.current();
      const certificate = new X509Certificate(material.cert);
      expect(certificate.checkHost('localhost')).toBe('localhost');
      expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(certificate.checkPrivateKey(createPrivateKey(material.key))).toBe(true);
      expect(certificate.verify(new X509Certificate(hostCa.trustBundlePem()).publicKey)).toBe(true);
      expect(material.userCaBundle).toBe(userCa.trustBundlePem());
      expect(Date.parse(certificate.validTo) - Date.now()).toBeLessThanOrEqual(3_600_000);
    } finally {
      listener.close();
      listener.close();
    }
  });

  it('renews with a new key, and the next connection gets the new certificate', async () => {
    const { hostCa, userCa } = await authorities();
    const listener = await ListenerCertificate.issue({
      hostCa,
      userCa,
      hostId: 'proxy-1',
      clusterName: 'gateway.test',
      dnsNames: ['localhost'],
      ipAddresses: [],
      onError: () => {},
    });
    try {
      const before = listener.current();
      await listener.renew();
      const after = listener.current();
      expect(after.cert).not.toBe(before.cert);
      expect(after.key).not.toBe(before.key);
    } finally {
      listener.close();
    }
  });
});
