#!/usr/bin/env node
import { runSimulatorCli } from './cli/run-simulator-cli.js';

process.exitCode = await runSimulatorCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
