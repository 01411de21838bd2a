import { generateKeyPairSync } from 'node:crypto';
import type { CertificateAuthority } from '@remoteler/core';
import type { ListenerTlsMaterial } from '@remoteler/proxy';

/** Options for {@link ListenerCertificate.issue}. */
export interface ListenerCertificateOptions {
  /** Signs the listener's host certificate. */
  readonly hostCa: CertificateAuthority;
  /** Whose trust bundle the listener asks client certificates to chain to (read at every renewal). */
  readonly userCa: Pick<CertificateAuthority, 'trustBundlePem'>;
  readonly hostId: string;
  readonly clusterName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** Certificate lifetime in ms; renewed at half of it. Default 24 hours. */
  readonly ttlMs?: number;
  /** Receives a failed renewal (the current certificate stays in use until it expires). */
  readonly onError: (error: unknown) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The Proxy listener's key and host certificate. The key is made in this process and never leaves
 * it; the certificate is renewed (with a new key) at half its lifetime, and `createProxy({ tls })`
 * reads {@link current} for every new connection, so renewal needs no restart.
 */
export class ListenerCertificate {
  #material: ListenerTlsMaterial;
  readonly #timer: NodeJS.Timeout;

  readonly #make: () => Promise<ListenerTlsMaterial>;

  private constructor(
    material: ListenerTlsMaterial,
    make: () => Promise<ListenerTlsMaterial>,
    renew: () => Promise<void>,
    ttlMs: number,
  ) {
    this.#material = material;
    this.#make = make;
    // unref'd: a pending renewal never keeps the process alive.
    this.#timer = setInterval(() => void renew(), ttlMs / 2).unref();
  }

  /** Issues the first certificate and schedules renewals. */
  static async issue(options: ListenerCertificateOptions): Promise<ListenerCertificate> {
    const ttlMs = options.ttlMs ?? DAY_MS;
    const make = async (): Promise<ListenerTlsMaterial> => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const issued = await options.hostCa.issueHostCertificate({
        publicKey: { spki: publicKey.export({ type: 'spki', format: 'pem' }) as string },
        host: { hostId: options.hostId, role: 'proxy', clusterName: options.clusterName },
        dnsNames: options.dnsNames,
        ipAddresses: options.ipAddresses,
        ttlMs,
      });
      return {
        cert: issued.certificatePem,
        key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        userCaBundle: options.userCa.trustBundlePem(),
      };
    };
    const listener: ListenerCertificate = new ListenerCertificate(
      await make(),
      make,
      () => listener.renew().catch((error: unknown) => options.onError(error)),
      ttlMs,
    );
    return listener;
  }

  /**
   * Issues a new key and certificate now (the timer does it at half the lifetime; call it after a
   * CA rotation step). Connections already open keep the old one.
   */
  async renew(): Promise<void> {
    this.#material = await this.#make();
  }

  /** The material for the next TLS connection. */
  readonly current = (): ListenerTlsMaterial => this.#material;

  /** Stops renewing. Idempotent. */
  close(): void {
    clearInterval(this.#timer);
  }
}
