import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type {
  CaKeyAlgorithm,
  CaKeyRecord,
  CaKeySet,
  CaKeyStore,
  CaKind,
  CaRotationStatus,
  CertificateAuthority,
  CertificateAuthorityCapabilities,
  CertificateDecodeOptions,
  DecodedHostCertificate,
  DecodedUserCertificate,
  HostCertificateRequest,
  IssuedCertificate,
  TrustedCaInfo,
  UserCertificateRequest,
} from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import {
  CertificateBuilder,
  encodeBasicConstraints,
  encodeExtendedKeyUsage,
  encodeExtension,
  encodeKeyUsage,
  encodeName,
  encodeSubjectAltName,
  encodeSubjectKeyIdentifier,
  KEY_USAGE,
  userSubject,
} from './certificate-builder.js';
import { decodeHostIdentity, decodeUserIdentity } from './decode-certificate.js';
import { oid } from './der.js';
import { encodeHostExtension } from './host-extension.js';
import { encodeIdentity } from './identity-extension.js';
import {
  assertCaKeyAlgorithm,
  CA_KEY_ALGORITHMS,
  caKeyAlgorithmOf,
  createCaSigner,
  DEFAULT_CA_KEY_ALGORITHM,
  generateCaKeyPair,
  keyIdentifier,
} from './key-algorithms.js';
import {
  assertGoCompatibleOid,
  CA_USAGE,
  DEFAULT_HOST_EXTENSION_OID,
  DEFAULT_IDENTITY_EXTENSION_OID,
  HOST_USAGE,
  OID_BASIC_CONSTRAINTS,
  OID_COMMON_NAME,
  OID_EXT_KEY_USAGE,
  OID_KEY_USAGE,
  OID_KP_CLIENT_AUTH,
  OID_KP_SERVER_AUTH,
  OID_ORGANIZATION,
  OID_ORGANIZATIONAL_UNIT,
  OID_SUBJECT_ALT_NAME,
  OID_SUBJECT_KEY_IDENTIFIER,
  USER_USAGE_KUBE,
} from './oids.js';
import { type CertificateInput, subjectNameDer } from './parsed-certificate.js';
import { encodePem } from './pem.js';
import { acceptPublicKey } from './public-key-input.js';
import { isPlainText, validateHostRequest, validateIdentity, validateTtl } from './request-validation.js';
import { TrustBundle } from './trust-bundle.js';

/** Ten years, the default lifetime of a CA certificate. */
export const DEFAULT_CA_VALIDITY_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** NotBefore is backdated this much to tolerate clock skew between issuer and verifier (design §3). */
export const CLOCK_SKEW_MS = 60_000;

/** Options for {@link X509CertificateAuthority.open}. */
export interface X509CertificateAuthorityOptions {
  /** `user` (client certificates for people) or `host` (Proxy, Auth, agents). */
  readonly kind: CaKind;
  /** Where the CA key material lives. The authority never writes keys anywhere else. */
  readonly keyStore: CaKeyStore;
  /** The Remoteler cluster name, written as the CA subject's `O=`. Must match a stored CA's. */
  readonly clusterName: string;
  /** Key algorithm when the CA is created (not when loaded). Default `ecdsa-p256`. */
  readonly algorithm?: CaKeyAlgorithm;
  /** Lifetime of CA certificates made by this instance, in milliseconds. Default ten years. */
  readonly caValidityMs?: number;
  /** OID of the user identity extension. Default `1.3.9999.7.1` (every arc must be below 2^31). */
  readonly identityExtensionOid?: string;
  /** OID of the host identity extension. Default `1.3.9999.7.2`. */
  readonly hostExtensionOid?: string;
  /** The time source; default `() => new Date()`. */
  readonly clock?: () => Date;
}

/** One CA generation ready to sign: its key, its builder and its pre-encoded profiles. */
interface Generation {
  readonly record: CaKeyRecord;
  /** End of the CA certificate's validity: no certificate it signs outlives it. */
  readonly caNotAfter: Date;
  readonly builder: CertificateBuilder;
  readonly userExtensions: readonly Uint8Array[];
  /** Host profile, by whether the subject key is RSA (which also needs keyEncipherment). */
  readonly hostExtensions: { readonly rsa: readonly Uint8Array[]; readonly other: readonly Uint8Array[] };
}

function floorToSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function caSubject(kind: CaKind, clusterName: string, id: string): Uint8Array {
  return encodeName([
    { oid: OID_ORGANIZATION, value: clusterName },
    { oid: OID_ORGANIZATIONAL_UNIT, value: CA_USAGE[kind] },
    { oid: OID_COMMON_NAME, value: id },
  ]);
}

function caId(kind: CaKind, spkiDer: Uint8Array): string {
  return `${kind}-${createHash('sha256').update(spkiDer).digest('hex').slice(0, 16)}`;
}

function kindMismatch(kind: CaKind, wanted: CaKind): RemotelerError {
  return new RemotelerError(
    'RMT_CA_KIND_MISMATCH',
    `the ${kind} CA cannot issue ${wanted} certificates; use the ${wanted} CA`,
    { details: { kind, wanted } },
  );
}

function rotationError(phase: string, step: string): RemotelerError {
  return new RemotelerError(
    'RMT_CA_ROTATION_STATE_INVALID',
    `cannot ${step} while the rotation phase is ${phase}`,
    {
      details: { phase, step },
    },
  );
}

/**
 * A certificate authority of one kind on X.509: issues user or host certificates, decodes and
 * verifies them, exports its trust bundle and rotates its key.
 *
 * Issuance builds each certificate's DER directly and signs with node:crypto (see
 * `certificate-builder.ts`); CSRs are verified with @peculiar/x509 on Node's own WebCrypto, passed
 * per call (the library's global provider is never set). Open with {@link X509CertificateAuthority.open}.
 */
export class X509CertificateAuthority implements CertificateAuthority {
  readonly kind: CaKind;
  readonly capabilities: CertificateAuthorityCapabilities = Object.freeze({
    algorithms: CA_KEY_ALGORITHMS,
    csr: true,
    jwk: true,
  });

  readonly #store: CaKeyStore;
  readonly #clusterName: string;
  readonly #caValidityMs: number;
  readonly #identityOid: string;
  readonly #identityOidDer: Uint8Array;
  readonly #hostOid: string;
  readonly #clock: () => Date;
  #set: CaKeySet;
  #generations: ReadonlyMap<string, Generation>;
  #bundle: TrustBundle;
  /** Rotation steps run one at a time, so two admins cannot interleave them in one process. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    options: X509CertificateAuthorityOptions,
    set: CaKeySet,
    generations: Map<string, Generation>,
  ) {
    this.kind = options.kind;
    this.#store = options.keyStore;
    this.#clusterName = options.clusterName;
    this.#caValidityMs = options.caValidityMs ?? DEFAULT_CA_VALIDITY_MS;
    this.#identityOid = options.identityExtensionOid ?? DEFAULT_IDENTITY_EXTENSION_OID;
    this.#identityOidDer = oid(this.#identityOid);
    this.#hostOid = options.hostExtensionOid ?? DEFAULT_HOST_EXTENSION_OID;
    this.#clock = options.clock ?? (() => new Date());
    this.#set = set;
    this.#generations = generations;
    this.#bundle = TrustBundle.from(
      set.kind,
      set.keys.map((k) => k.certificatePem),
    );
  }

  /**
   * Loads the authority of `options.kind` from the key store, or creates it (new key pair and
   * self-signed CA certificate, saved before use) when the store has none.
   */
  static async open(options: X509CertificateAuthorityOptions): Promise<X509CertificateAuthority> {
    X509CertificateAuthority.#checkOptions(options);
    let set = await options.keyStore.load(options.kind);
    if (!set) {
      const record = await X509CertificateAuthority.#createRecord(
        options,
        options.algorithm ?? DEFAULT_CA_KEY_ALGORITHM,
      );
      const created: CaKeySet = Object.freeze({
        kind: options.kind,
        clusterName: options.clusterName,
        signingKeyId: record.id,
        phase: 'standby',
        keys: Object.freeze([record]),
      });
      try {
        // Create-if-absent: when two replicas start at once, one CA wins and both use it.
        set = await options.keyStore.save(created, { expectedRevision: null });
      } catch (error) {
        if (!RemotelerError.hasCode(error, 'RMT_CA_KEY_STORE_CONFLICT')) throw error;
        set = await options.keyStore.load(options.kind);
        if (!set) throw error;
      }
    }
    if (set.clusterName !== options.clusterName)
      throw new RemotelerError(
        'RMT_CONFIG_INVALID',
        `the stored ${options.kind} CA belongs to cluster ${JSON.stringify(set.clusterName)}, not ${JSON.stringify(options.clusterName)}`,
        { details: { field: 'clusterName' } },
      );
    const generations = new Map(
      set.keys.map((record) => [record.id, X509CertificateAuthority.#load(record, options.kind)]),
    );
    return new X509CertificateAuthority(options, set, generations);
  }

  static #checkOptions(options: X509CertificateAuthorityOptions): void {
    const invalid = (field: string, message: string) =>
      new RemotelerError('RMT_CONFIG_INVALID', `${field} ${message}`, { details: { field } });
    if (options.kind !== 'user' && options.kind !== 'host') throw invalid('kind', 'must be user or host');
    if (!options.keyStore) throw invalid('keyStore', 'is required');
    if (!isPlainText(options.clusterName))
      throw invalid('clusterName', 'must be non-empty text without control characters');
    if (options.algorithm !== undefined) assertCaKeyAlgorithm(options.algorithm);
    if (
      options.caValidityMs !== undefined &&
      !(Number.isFinite(options.caValidityMs) && options.caValidityMs > CLOCK_SKEW_MS)
    )
      throw invalid('caValidityMs', 'must be a positive number of milliseconds');
    for (const field of ['identityExtensionOid', 'hostExtensionOid'] as const) {
      const value = options[field];
      if (value === undefined) continue;
      try {
        assertGoCompatibleOid(value);
      } catch (cause) {
        throw new RemotelerError('RMT_CONFIG_INVALID', `${field}: ${(cause as Error).message}`, {
          details: { field },
        });
      }
    }
    if (
      (options.identityExtensionOid ?? DEFAULT_IDENTITY_EXTENSION_OID) ===
      (options.hostExtensionOid ?? DEFAULT_HOST_EXTENSION_OID)
    )
      throw invalid('hostExtensionOid', 'must differ from identityExtensionOid');
  }

  static async #createRecord(
    options: Pick<X509CertificateAuthorityOptions, 'kind' | 'clusterName' | 'caValidityMs' | 'clock'>,
    algorithm: CaKeyAlgorithm,
  ): Promise<CaKeyRecord> {
    assertCaKeyAlgorithm(algorithm);
    const { privateKey, publicKey } = await generateCaKeyPair(algorithm);
    const spkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    const id = caId(options.kind, spkiDer);
    const keyId = keyIdentifier(spkiDer);
    const subject = caSubject(options.kind, options.clusterName, id);
    const builder = new CertificateBuilder({
      signer: createCaSigner(algorithm, privateKey),
      issuerNameDer: subject,
      authorityKeyId: keyId,
    });
    const now = (options.clock ?? (() => new Date()))().getTime();
    const { der } = builder.build(
      {
        subjectNameDer: subject,
        spkiDer,
        notBefore: floorToSecond(now - CLOCK_SKEW_MS),
        notAfter: floorToSecond(now + (options.caValidityMs ?? DEFAULT_CA_VALIDITY_MS)),
        extensions: [],
      },
      [
        // A CA that signs only end-entity certificates: pathLen 0 (RFC 5280 §4.2.1.9).
        encodeExtension(OID_BASIC_CONSTRAINTS, true, encodeBasicConstraints(true, 0)),
        encodeExtension(
          OID_KEY_USAGE,
          true,
          encodeKeyUsage([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]),
        ),
        encodeExtension(OID_SUBJECT_KEY_IDENTIFIER, false, encodeSubjectKeyIdentifier(keyId)),
        builder.authorityKeyIdentifierExtension,
      ],
    );
    return Object.freeze({
      id,
      kind: options.kind,
      algorithm,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      certificatePem: encodePem('CERTIFICATE', der),
      createdAt: new Date(now).toISOString(),
    });
  }

  /** Turns a stored record into a signing generation, checking that key and certificate belong together. */
  static #load(record: CaKeyRecord, kind: CaKind): Generation {
    const corrupt = (message: string, cause?: unknown) =>
      new RemotelerError(
        'RMT_CA_KEY_STORE_CORRUPT',
        `stored CA ${record.id}: ${message}`,
        cause ? { cause } : {},
      );
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(record.privateKeyPem);
    } catch (cause) {
      throw corrupt('the private key does not parse', cause);
    }
    if (caKeyAlgorithmOf(privateKey) !== record.algorithm)
      throw corrupt(`the private key is not ${record.algorithm}`);
    const bundle = TrustBundle.from(kind, [record.certificatePem]);
    const ca = bundle.authorities[0]!;
    const spkiDer = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
    const certificateSpki = new Uint8Array(
      ca.certificate.node.publicKey.export({ type: 'spki', format: 'der' }),
    );
    if (Buffer.compare(spkiDer, certificateSpki) !== 0)
      throw corrupt('the certificate is not for the stored key');
    if (ca.id !== record.id) throw corrupt('the certificate names another CA id');
    const builder = new CertificateBuilder({
      signer: createCaSigner(record.algorithm, privateKey),
      issuerNameDer: subjectNameDer(ca.certificate.der),
      authorityKeyId: keyIdentifier(spkiDer),
    });
    const endEntity = encodeExtension(OID_BASIC_CONSTRAINTS, true, encodeBasicConstraints(false));
    const signatureOnly = encodeExtension(OID_KEY_USAGE, true, encodeKeyUsage([KEY_USAGE.digitalSignature]));
    const aki = builder.authorityKeyIdentifierExtension;
    const serverAndClient = encodeExtension(
      OID_EXT_KEY_USAGE,
      false,
      encodeExtendedKeyUsage([OID_KP_SERVER_AUTH, OID_KP_CLIENT_AUTH]),
    );
    return {
      record,
      caNotAfter: ca.certificate.notAfter,
      builder,
      userExtensions: [
        endEntity,
        signatureOnly,
        encodeExtension(OID_EXT_KEY_USAGE, false, encodeExtendedKeyUsage([OID_KP_CLIENT_AUTH])),
        aki,
      ],
      hostExtensions: {
        other: [endEntity, signatureOnly, serverAndClient, aki],
        // TLS 1.2 RSA key exchange encrypts to the server key: keyEncipherment (RFC 5246 §7.4.2).
        rsa: [
          endEntity,
          encodeExtension(
            OID_KEY_USAGE,
            true,
            encodeKeyUsage([KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment]),
          ),
          serverAndClient,
          aki,
        ],
      },
    };
  }

  /** The authority's trust bundle (every trusted generation). Replaced, never mutated, on rotation. */
  bundle(): TrustBundle {
    return this.#bundle;
  }

  trustedCas(): readonly TrustedCaInfo[] {
    return this.#bundle.info();
  }

  trustBundlePem(): string {
    return this.#bundle.toPem();
  }

  /** `sha256:<hex>` of every trusted CA certificate, for pinning. */
  fingerprints(): string[] {
    return this.#bundle.fingerprints();
  }

  /** The id of the generation that signs new certificates. */
  get signingCaId(): string {
    return this.#set.signingKeyId;
  }

  #signing(): Generation {
    return this.#generations.get(this.#set.signingKeyId)!;
  }

  /**
   * Issues a user client certificate (design §3): `CN=<username>`, one `O=` per role,
   * `OU=usage:kube`, the identity extension (non-critical), keyUsage digitalSignature, extKeyUsage
   * clientAuth, NotBefore one minute back, NotAfter = now + `ttlMs` (refused beyond `maxTtlMs`).
   */
  async issueUserCertificate(request: UserCertificateRequest): Promise<IssuedCertificate> {
    if (this.kind !== 'user') throw kindMismatch(this.kind, 'user');
    validateTtl(request.ttlMs, request.maxTtlMs);
    validateIdentity(request.identity);
    const key = await acceptPublicKey(request.publicKey);
    const identity = request.identity;
    const identityExtension = encodeExtension(this.#identityOidDer, false, encodeIdentity(identity));
    const subject = encodeName(userSubject(identity.username, identity.roles, USER_USAGE_KUBE));
    const generation = this.#signing();
    return this.#sign(
      generation,
      request.now,
      request.ttlMs,
      subject,
      key.spkiDer,
      [identityExtension],
      generation.userExtensions,
    );
  }

  /**
   * Issues a host certificate for TLS server and client use: `CN=<hostId>`, `OU=usage:host`, the
   * host extension (id, role, cluster), DNS and IP SANs, extKeyUsage serverAuth + clientAuth.
   */
  async issueHostCertificate(request: HostCertificateRequest): Promise<IssuedCertificate> {
    if (this.kind !== 'host') throw kindMismatch(this.kind, 'host');
    validateTtl(request.ttlMs);
    validateHostRequest(request);
    const key = await acceptPublicKey(request.publicKey);
    const extensions = [encodeExtension(this.#hostOid, false, encodeHostExtension(request.host))];
    const dnsNames = request.dnsNames ?? [];
    const ipAddresses = request.ipAddresses ?? [];
    if (dnsNames.length + ipAddresses.length > 0)
      extensions.push(
        encodeExtension(OID_SUBJECT_ALT_NAME, false, encodeSubjectAltName(dnsNames, ipAddresses)),
      );
    const subject = encodeName([
      { oid: OID_ORGANIZATION, value: request.host.clusterName },
      { oid: OID_ORGANIZATIONAL_UNIT, value: HOST_USAGE },
      { oid: OID_COMMON_NAME, value: request.host.hostId },
    ]);
    const generation = this.#signing();
    const profile = key.keyType === 'rsa' ? generation.hostExtensions.rsa : generation.hostExtensions.other;
    return this.#sign(generation, request.now, request.ttlMs, subject, key.spkiDer, extensions, profile);
  }

  #sign(
    generation: Generation,
    now: Date | undefined,
    ttlMs: number,
    subjectNameDer: Uint8Array,
    spkiDer: Uint8Array,
    extensions: readonly Uint8Array[],
    profile: readonly Uint8Array[],
  ): IssuedCertificate {
    const at = (now ?? this.#clock()).getTime();
    const notBefore = floorToSecond(at - CLOCK_SKEW_MS);
    // A certificate cannot be valid longer than the CA that signed it (RFC 5280 §6.1.3 checks the
    // whole chain at one instant), so a TTL reaching past the CA's end is cut there; the returned
    // notAfter says so.
    const notAfter = floorToSecond(Math.min(at + ttlMs, generation.caNotAfter.getTime()));
    const { der, serialNumber } = generation.builder.build(
      { subjectNameDer, spkiDer, notBefore, notAfter, extensions },
      profile,
    );
    return {
      certificatePem: encodePem('CERTIFICATE', der),
      certificateDer: der,
      serialNumber,
      notBefore,
      notAfter,
      caId: generation.record.id,
    };
  }

  /** Verifies a user certificate against this (user) authority's bundle and decodes its identity. */
  decodeUserIdentity(
    certificate: CertificateInput,
    options: CertificateDecodeOptions = {},
  ): DecodedUserCertificate {
    return decodeUserIdentity(certificate, {
      trustedBundle: this.#bundle,
      identityExtensionOid: this.#identityOid,
      hostExtensionOid: this.#hostOid,
      now: options.now ?? this.#clock(),
    });
  }

  /** Verifies a host certificate against this (host) authority's bundle and decodes the host. */
  decodeHostIdentity(
    certificate: CertificateInput,
    options: CertificateDecodeOptions = {},
  ): DecodedHostCertificate {
    return decodeHostIdentity(certificate, {
      trustedBundle: this.#bundle,
      identityExtensionOid: this.#identityOid,
      hostExtensionOid: this.#hostOid,
      now: options.now ?? this.#clock(),
    });
  }

  rotationStatus(): CaRotationStatus {
    return Object.freeze({
      phase: this.#set.phase,
      signingCaId: this.#set.signingKeyId,
      trustedCaIds: Object.freeze(this.#set.keys.map((k) => k.id)),
    });
  }

  /**
   * Rotation step 1: creates a new CA generation that is trusted at once but does not sign yet, so
   * verifiers can pick up the new bundle before any certificate from it exists.
   */
  startRotation(options: { readonly algorithm?: CaKeyAlgorithm } = {}): Promise<CaRotationStatus> {
    return this.#step(async (set) => {
      if (set.phase !== 'standby') throw rotationError(set.phase, 'start a rotation');
      const current = set.keys.find((k) => k.id === set.signingKeyId)!;
      const record = await X509CertificateAuthority.#createRecord(
        {
          kind: this.kind,
          clusterName: this.#clusterName,
          caValidityMs: this.#caValidityMs,
          clock: this.#clock,
        },
        options.algorithm ?? current.algorithm,
      );
      return { ...set, phase: 'init', keys: [...set.keys, record] };
    });
  }

  /** Rotation step 2: the new generation signs; the old one stays trusted (the grace period). */
  switchSigning(): Promise<CaRotationStatus> {
    return this.#step(async (set) => {
      if (set.phase !== 'init') throw rotationError(set.phase, 'switch signing');
      return { ...set, phase: 'update-clients', signingKeyId: set.keys[set.keys.length - 1]!.id };
    });
  }

  /** Rotation step 3: every generation but the signing one is removed from the bundle. */
  finishRotation(): Promise<CaRotationStatus> {
    return this.#step(async (set) => {
      if (set.phase !== 'update-clients') throw rotationError(set.phase, 'finish the rotation');
      return { ...set, phase: 'standby', keys: set.keys.filter((k) => k.id === set.signingKeyId) };
    });
  }

  /**
   * Re-reads the key store (another replica may have rotated). Returns the current status.
   */
  reload(): Promise<CaRotationStatus> {
    return this.#step(async () => {
      const stored = await this.#store.load(this.kind);
      if (!stored)
        throw new RemotelerError(
          'RMT_CA_KEY_STORE_CORRUPT',
          `the ${this.kind} CA disappeared from the key store`,
        );
      return stored;
    }, false);
  }

  /** Runs one state change at a time: compute, persist, then switch the in-memory state. */
  #step(change: (set: CaKeySet) => Promise<CaKeySet>, save = true): Promise<CaRotationStatus> {
    const run = async () => {
      const next = await change(this.#set);
      const frozen: CaKeySet = Object.freeze({ ...next, keys: Object.freeze([...next.keys]) });
      const generations = new Map(
        frozen.keys.map((record) => [
          record.id,
          this.#generations.get(record.id) ?? X509CertificateAuthority.#load(record, this.kind),
        ]),
      );
      const bundle = TrustBundle.from(
        this.kind,
        frozen.keys.map((k) => k.certificatePem),
      );
      // Conditional on the revision this instance read: a step taken meanwhile by another
      // instance on the same store is not overwritten (RMT_CA_KEY_STORE_CONFLICT; reload()).
      this.#set = save
        ? await this.#store.save(
            frozen,
            this.#set.revision === undefined ? {} : { expectedRevision: this.#set.revision },
          )
        : frozen;
      this.#generations = generations;
      this.#bundle = bundle;
      return this.rotationStatus();
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
