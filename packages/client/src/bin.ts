#!/usr/bin/env node
// The `remoteler` command. `kube credentials` with a fresh cached certificate is answered here,
// before any X.509, HTTP or YAML code is loaded: kubectl runs the plugin on every invocation
// (k8s-protocols §11.4: client-go keeps no disk cache), so its start time is kubectl's latency.
import { readFile, realpath } from 'node:fs/promises';
import { execCredentialJson, FRESH_MARGIN_MS } from './exec-credential.js';
import { remotelerHome } from './home.js';
import { profilePaths } from './profile-paths.js';

function flag(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index === -1 ? undefined : argv[index + 1];
}

async function fastCredential(argv: readonly string[]): Promise<boolean> {
  if (argv[0] !== 'kube' || argv[1] !== 'credentials') return false;
  const proxy = flag(argv, '--proxy');
  const cluster = flag(argv, '--cluster');
  if (!proxy || !cluster) return false;
  const paths = profilePaths(remotelerHome(process.env), proxy);
  try {
    const cached = JSON.parse(await readFile(paths.kubeCredential(cluster), 'utf8')) as {
      certificatePem: string;
      notAfter: string;
    };
    if (!(Date.parse(cached.notAfter) - Date.now() > FRESH_MARGIN_MS)) return false;
    const keyPem = await readFile(paths.key, 'utf8');
    process.stdout.write(execCredentialJson(cached.certificatePem, keyPem, cached.notAfter));
    return true;
  } catch {
    // Anything unusual (no cache, no profile): the full command decides and explains.
    return false;
  }
}

const argv = process.argv.slice(2);
if (!(await fastCredential(argv))) {
  const { runCli } = await import('./cli.js');
  const self =
    process.argv[1] === undefined ? undefined : await realpath(process.argv[1]).catch(() => undefined);
  process.exitCode = await runCli(argv, {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    ...(self === undefined ? {} : { execCommand: self }),
  });
}
