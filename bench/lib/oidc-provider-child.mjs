// Runs @remoteler/sso-oidc/testing's OpenID provider in its own process, as a real identity
// provider would be: the parent writes { tls, clients, accounts } as JSON on stdin and reads the
// issuer URL from the first line of stdout; SIGTERM stops it.
import { startTestOidcProvider } from '@remoteler/sso-oidc/testing';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const options = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const provider = await startTestOidcProvider(options);
process.stdout.write(`${provider.issuer}\n`);
process.once('SIGTERM', () => {
  void provider.close().then(() => process.exit(0));
});
