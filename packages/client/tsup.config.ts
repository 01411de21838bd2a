import { defineConfig } from 'tsup';

export default defineConfig({
  // `bin` is the command; it serves a cached credential itself and imports `cli` (and with it the
  // HTTP and X.509 code) only when it has to, so the exec plugin's fast path stays small.
  entry: { index: 'src/index.ts', bin: 'src/bin.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  target: 'node20',
});
