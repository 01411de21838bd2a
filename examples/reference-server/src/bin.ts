#!/usr/bin/env node
// `remoteler-server`: filled in by the reference-server composition.
process.stderr.write('remoteler-server: not built yet\n');
process.exitCode = 1;
