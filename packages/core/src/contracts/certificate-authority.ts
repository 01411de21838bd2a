import type { Identity } from '../types/identity.js';

/**
 * Which authority: the **user** CA signs people's client certificates, the **host** CA signs the
 * certificates of Proxy, Auth and agents. They never share keys or trust bundles (design §3).
 */
export type CaKind = 'user' | 'host';

/** Key algorithms a CA can be created with. `ecdsa-p256` is the default everywhere. */
export type CaKeyAlgorithm = 'ecdsa-p256' | 'ed25519' | 'rsa-2048';

/** What a host certificate is for; carried in the host identity. */
export type HostRole = 'proxy' | 'auth' | 'agent';

/** Where a CA generation stands in a rotation (see {@link CaKeySet}). */
export type CaRotationPhase = 'standby' | 'init' | 'update-clients';

/**
 * One CA generation: a key pair and its self-signed certificate. Only a {@link CaKeyStore} and the
 * authority that owns it ever hold `privateKeyPem`; it never leaves the machine that generated it.
 */
export interface CaKeyRecord {
  /** Stable id of this generation, derived from its public key (`<kind>-<16 hex>`). */
  readonly id: string;
  readonly kind: CaKind;
  readonly algorithm: CaKeyAlgorithm;
  /** PKCS#8 PEM of the CA's private key. Secret: never logged, never sent. */
  readonly privateKeyPem: string;
  /** The CA's self-signed certificate (PEM). */
  readonly certificatePem: string;
  /** ISO 8601 instant the generation was created. */
  readonly createdAt: string;
}

/**
 * Everything one authority persists: every trusted generation and which one signs. Rotation
 * (Teleport-style phases): `standby` has one key; `init` adds a new key that is trusted but does not
 * sign yet; `update-clients` signs with the new key while the old one stays trusted (the grace
 * period); finishing drops every key except the signing one and returns to `standby`.
 */
export interface CaKeySet {
  readonly kind: CaKind;
  /** The Remoteler cluster the authority belongs to (the CA subject's `O=`). */
  readonly clusterName: string;
  /** Id of the generation that signs new certificates; always one of `keys`. */
  readonly signingKeyId: string;
  readonly phase: CaRotationPhase;
  /** Every trusted generation, oldest first. */
  readonly keys: readonly CaKeyRecord[];
  /** Opaque store revision, set by stores on `load`/`save`; ignored when given to `save`. */
  readonly revision?: string;
}

/** Options for {@link CaKeyStore.save}. */
export interface CaKeySetWriteOptions {
  /**
   * Optimistic concurrency. Absent: write unconditionally. `null`: write only if no set of that
   * kind is stored yet (two replicas creating the CA at once: one wins, the other loads it). A
   * string: write only if the stored set still has this revision. Otherwise the write fails with
   * `RMT_CA_KEY_STORE_CONFLICT` and nothing changes.
   */
  readonly expectedRevision?: string | null;
}

/** What a key store can do, declared instead of throwing "not implemented". */
export interface CaKeyStoreCapabilities {
  /** Key sets survive a restart of the process. */
  readonly durable: boolean;
  /** Several processes can share the store (replicated Auth servers). */
  readonly shared: boolean;
}

/**
 * Persistence for CA key material. Implementations keep secrets at rest with owner-only access
 * (files 0600, directories 0700) and write atomically: a reader sees the old set or the new one,
 * never a mix.
 *
 * Errors: `RMT_CA_KEY_FILE_PERMISSIONS` (stored key material readable by others: refused, never
 * loaded), `RMT_CA_KEY_STORE_CORRUPT` (stored data that does not parse), `RMT_CA_KEY_STORE_CONFLICT`
 * (a conditional `save` whose expectation no longer holds).
 */
export interface CaKeyStore {
  readonly capabilities: CaKeyStoreCapabilities;
  /** The stored set for `kind`, or `undefined` when the authority was never created. */
  load(kind: CaKind): Promise<CaKeySet | undefined>;
  /** Replaces the stored set for `set.kind` atomically; returns it with its new `revision`. */
  save(set: CaKeySet, options?: CaKeySetWriteOptions): Promise<CaKeySet>;
  /** Releases resources; idempotent. */
  close(): Promise<void>;
}

/** A public JSON Web Key (RFC 7517); members holding private key material are refused. */
export interface PublicJwk {
  /** `EC`, `OKP` or `RSA`. */
  readonly kty: string;
  readonly [member: string]: unknown;
}

/**
 * The key a certificate is issued for, as the caller has it: an SPKI public key (PEM or DER), a
 * JWK, or a PKCS#10 CSR (PEM or DER) whose signature proves possession of the private key. The CA
 * never receives a private key.
 */
export type SubjectPublicKeyInput =
  | { readonly spki: string | Uint8Array }
  | { readonly jwk: PublicJwk }
  | { readonly csr: string | Uint8Array };

/** Request for a user client certificate. */
export interface UserCertificateRequest {
  readonly publicKey: SubjectPublicKeyInput;
  /** Everything encoded into the certificate; `notBefore`/`notAfter` are ignored (set by the CA). */
  readonly identity: Identity;
  /**
   * Requested lifetime in milliseconds; must be > 0. A lifetime reaching past the signing CA's own
   * end is cut there (the issued `notAfter` says so).
   */
  readonly ttlMs: number;
  /**
   * Longest lifetime policy allows (the smallest `max_session_ttl` of the user's roles), in
   * milliseconds. A `ttlMs` above it is refused, not silently shortened.
   */
  readonly maxTtlMs: number;
  /** The issue time; defaults to the current time. For tests and replays. */
  readonly now?: Date;
}

/** Who a host certificate names. */
export interface HostIdentity {
  /** Unique host id (a UUID or a stable name); the certificate CN. */
  readonly hostId: string;
  readonly role: HostRole;
  /** The Remoteler cluster the host belongs to. */
  readonly clusterName: string;
}

/** Request for a host certificate, usable for both TLS server and client authentication. */
export interface HostCertificateRequest {
  readonly publicKey: SubjectPublicKeyInput;
  readonly host: HostIdentity;
  /** DNS subject alternative names. */
  readonly dnsNames?: readonly string[];
  /** IP subject alternative names (IPv4 or IPv6 literals). */
  readonly ipAddresses?: readonly string[];
  /** Lifetime in milliseconds; must be > 0. */
  readonly ttlMs: number;
  /** The issue time; defaults to the current time. */
  readonly now?: Date;
}

/** A certificate the CA has signed. */
export interface IssuedCertificate {
  /** The certificate in PEM, for files, kubeconfigs and node:tls `cert`. */
  readonly certificatePem: string;
  /** The same certificate in DER. */
  readonly certificateDer: Uint8Array;
  /** Lower-case hex of the positive serial number. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Id of the CA generation that signed it. */
  readonly caId: string;
}

/** One trusted CA of a bundle. */
export interface TrustedCaInfo {
  readonly id: string;
  readonly certificatePem: string;
  /** `sha256:<64 lower-case hex>` of the CA certificate's DER, for pinning. */
  readonly fingerprint: string;
}

/** What an authority can do, declared instead of throwing "not implemented". */
export interface CertificateAuthorityCapabilities {
  readonly algorithms: readonly CaKeyAlgorithm[];
  /** Accepts PKCS#10 CSRs as the key input. */
  readonly csr: boolean;
  /** Accepts JWK public keys as the key input. */
  readonly jwk: boolean;
}

/** State of an authority's rotation, for admin APIs. */
export interface CaRotationStatus {
  readonly phase: CaRotationPhase;
  readonly signingCaId: string;
  readonly trustedCaIds: readonly string[];
}

/**
 * A certificate authority of one {@link CaKind}. A user authority issues only user certificates,
 * a host authority only host certificates; the wrong call fails with `RMT_CA_KIND_MISMATCH`.
 *
 * Rotation: `startRotation()` (new CA trusted, old one signs) -> `switchSigning()` (new one signs,
 * both trusted: the grace period) -> `finishRotation()` (old one removed). Out-of-order calls fail
 * with `RMT_CA_ROTATION_STATE_INVALID`.
 */
export interface CertificateAuthority {
  readonly kind: CaKind;
  readonly capabilities: CertificateAuthorityCapabilities;
  /** The CAs a verifier must trust now (every generation of the current set). */
  trustedCas(): readonly TrustedCaInfo[];
  /** The trusted CAs as concatenated PEM: the node:tls `ca` option or a kubeconfig CA file. */
  trustBundlePem(): string;
  issueUserCertificate(request: UserCertificateRequest): Promise<IssuedCertificate>;
  issueHostCertificate(request: HostCertificateRequest): Promise<IssuedCertificate>;
  rotationStatus(): CaRotationStatus;
  startRotation(options?: { readonly algorithm?: CaKeyAlgorithm }): Promise<CaRotationStatus>;
  switchSigning(): Promise<CaRotationStatus>;
  finishRotation(): Promise<CaRotationStatus>;
}

/** A user certificate that verified against a user-CA bundle, and the identity it carries. */
export interface DecodedUserCertificate {
  /** The identity, with `notBefore`/`notAfter` from the certificate. */
  readonly identity: Identity;
  /** Lower-case hex serial number (for audit and locks). */
  readonly serialNumber: string;
  /** Id of the trusted CA that signed it. */
  readonly caId: string;
}

/** A host certificate that verified against a host-CA bundle. */
export interface DecodedHostCertificate {
  readonly host: HostIdentity;
  readonly serialNumber: string;
  readonly caId: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Options for decoding a certificate. */
export interface CertificateDecodeOptions {
  /** The instant validity is judged at; defaults to the current time. */
  readonly now?: Date;
}

/**
 * Turns a peer certificate into an identity, after verifying it against the trust bundle of the
 * right kind. Never trusts an unverified certificate: every failure is a `RemotelerError` with an
 * `RMT_CA_…` code (untrusted, expired, wrong usage, malformed or inconsistent identity…).
 * `certificate` is PEM, DER, or anything with a DER `raw` property (node:crypto X509Certificate,
 * `tlsSocket.getPeerCertificate().raw`).
 */
export interface CertificateIdentityDecoder {
  decodeUserCertificate(
    certificate: string | Uint8Array | { readonly raw: Uint8Array },
    options?: CertificateDecodeOptions,
  ): DecodedUserCertificate;
  decodeHostCertificate(
    certificate: string | Uint8Array | { readonly raw: Uint8Array },
    options?: CertificateDecodeOptions,
  ): DecodedHostCertificate;
}
