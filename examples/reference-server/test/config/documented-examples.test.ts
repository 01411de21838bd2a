import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseServerConfigYaml } from '../../src/config/load-config.js';

// Every configuration shown in docs/configuration.md is one that `config check` accepts (the
// documented `sha256:…` placeholder stands for a real pin).
const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) =>
  (m[1] as string).replaceAll('sha256:…', `sha256:${'0'.repeat(64)}`),
);

describe('docs/configuration.md', () => {
  it('shows at least the one-process, two-process and in-cluster shapes', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples.map((text, index) => [index, text] as const))('example %i validates', (_index, text) => {
    const config = parseServerConfigYaml(text, 'docs/configuration.md');
    expect(config.version).toBe('v1');
  });
});
