// CA issuance: ECDSA P-256 user certificates per second on one core (one Node thread), Remoteler's
// X509CertificateAuthority side by side with a naive @peculiar/x509 X509CertificateGenerator.create
// path that makes the same certificate. Target: >= 2,000 certs/s (the naive path is ~350/s here).
// Both sign with the same kind of CA key and certify pre-generated user keys, so key generation on
// the user's side is not measured.
import { generateKeyPairSync, X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import { MemoryCaKeyStore, X509CertificateAuthority } from '@remoteler/ca';
import { measure, printTable, ratio, writeResults } from '../lib/harness.mjs';

// After @remoteler/ca: it loads reflect-metadata, which @peculiar/x509 needs at import time.
const x509 = await import('@peculiar/x509');

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const HOUR = 3_600_000;
const identity = {
  username: 'alice@example.com',
  roles: ['developer', 'auditor'],
  traits: { 'external.groups': ['devs', 'ops'], 'internal.logins': ['alice'] },
  kubernetesCluster: 'staging',
  remotelerCluster: 'root.example.com',
  loginIp: '203.0.113.7',
  userType: 'sso',
  connectorId: 'okta',
  sessionId: '5b0f0c3e-1d1e-4c43-9b0a-7f1c2d3e4f50',
  mfaVerified: true,
  kubernetesUsers: ['alice'],
  kubernetesGroups: ['developers', 'system:authenticated'],
};

// A pool of user public keys, as SPKI PEM (what a client sends).
const userKeys = Array.from({ length: 64 }, () =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }),
);
let next = 0;
const nextKey = () => userKeys[next++ % userKeys.length];

// --- Remoteler ---------------------------------------------------------------------------------
const store = new MemoryCaKeyStore();
const ca = await X509CertificateAuthority.open({
  kind: 'user',
  keyStore: store,
  clusterName: 'root.example.com',
});
const remoteler = () =>
  ca.issueUserCertificate({ publicKey: { spki: nextKey() }, identity, ttlMs: HOUR, maxTtlMs: 8 * HOUR });

// --- naive @peculiar/x509 baseline ------------------------------------------------------------
// The same CA key, imported into Node's WebCrypto, and the same certificate content: the identity
// extension value is taken from a Remoteler certificate so both paths encode the same bytes.
const record = (await store.load('user')).keys[0];
const crypto = webcrypto;
const pkcs8 = Buffer.from(record.privateKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
const caSigningKey = await crypto.subtle.importKey(
  'pkcs8',
  pkcs8,
  { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['sign'],
);
const caCertificate = new x509.X509Certificate(record.certificatePem);
const sample = new x509.X509Certificate((await remoteler()).certificatePem);
const identityValue = sample.getExtension('1.3.9999.7.1').value;
const naive = async () => {
  const now = Date.now();
  const publicKey = new x509.PublicKey(nextKey());
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: Buffer.from(
        crypto.getRandomValues(new Uint8Array(16)).map((b, i) => (i === 0 ? (b & 0x3f) | 0x40 : b)),
      ).toString('hex'),
      subject: 'O=developer, O=auditor, OU=usage:kube, CN=alice@example.com',
      issuer: caCertificate.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + HOUR),
      publicKey,
      signingKey: caSigningKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(caCertificate, false, crypto),
        new x509.Extension('1.3.9999.7.1', false, identityValue),
      ],
    },
    crypto,
  );
  return certificate.toString('pem');
};

// Both outputs must verify against the CA before any figure is worth printing.
const caNode = new NodeX509(record.certificatePem);
for (const [name, issue] of [
  ['remoteler', async () => (await remoteler()).certificatePem],
  ['naive', naive],
]) {
  const certificate = new NodeX509(await issue());
  if (!certificate.verify(caNode.publicKey) || !certificate.checkIssued(caNode))
    throw new Error(`${name} output does not verify`);
}

const results = {
  naive: await measure(naive, { durationMs }),
  remoteler: await measure(remoteler, { durationMs }),
};
const rows = [
  { contender: 'naive @peculiar/x509 generator', ...pick(results.naive), 'vs naive': '1.00x' },
  {
    contender: 'X509CertificateAuthority',
    ...pick(results.remoteler),
    'vs naive': ratio(results.remoteler.perSecond, results.naive.perSecond),
  },
];
function pick(r) {
  return { 'certs/s': r.perSecond, 'mean µs': r.meanUs, 'p99 µs': r.p99Us, 'CPU µs/cert': r.cpuUsPerOp };
}
printTable('ECDSA P-256 user certificate issuance, one core (target >= 2,000 certs/s)', rows);

// What a Proxy pays per new TLS connection: chain + validity + identity decoding of one certificate.
const der = (await remoteler()).certificateDer;
const decode = await measure(() => ca.decodeUserIdentity(der), { durationMs });
printTable('Verify and decode one user certificate (per new client connection)', [
  {
    operation: 'decodeUserIdentity',
    'ops/s': decode.perSecond,
    'mean µs': decode.meanUs,
    'CPU µs/op': decode.cpuUsPerOp,
  },
]);
writeResults('ca', {
  target: { remotelerCertsPerSecond: 2000 },
  results,
  ratio: results.remoteler.perSecond / results.naive.perSecond,
  decode,
});
