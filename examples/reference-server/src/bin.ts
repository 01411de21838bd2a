#!/usr/bin/env node
// `remoteler-server`: the reference Auth + Proxy server and its demo.
import { runCli } from './cli/run-cli.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const argv = process.argv.slice(2);
const code = await runCli(argv, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  readStdin,
});
process.exitCode = code;
// A stopped server has closed what it opened; exiting here also ends anything a dependency left
// behind (a keep-alive socket), so the process never outlives its shutdown deadline.
if (argv[0] === 'start') process.exit(code);
