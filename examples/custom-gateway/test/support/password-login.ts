import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:https';

/** What `POST /v1/login/password` answered. */
export interface LoginAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** PEM of the private key made for this login (never sent anywhere). */
  readonly keyPem: string;
}

/**
 * Logs in as `remoteler login --user` does for a password connector: a P-256 key made here, only
 * its public half sent, the answer a certificate for that key.
 */
export async function passwordLogin(
  authAddress: string,
  caPem: string,
  body: { username: string; password: string; connectorId?: string; kubernetesCluster?: string },
): Promise<LoginAnswer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const payload = JSON.stringify({ ...body, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) });
  const [host, port] = authAddress.split(':') as [string, string];
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        method: 'POST',
        path: '/v1/login/password',
        ca: caPem,
        servername: 'localhost',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
  return {
    status: answer.status,
    body: JSON.parse(answer.text) as Record<string, unknown>,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
