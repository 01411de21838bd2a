import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, RemotelerError, statusForCategory } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

function documentedCodes(): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = docs.split(/^### /m).slice(1);
  for (const part of parts) {
    const [heading = '', ...body] = part.split('\n');
    sections.set(heading.trim(), body.join('\n'));
  }
  return sections;
}

describe('error catalog', () => {
  it('documents every code in docs/errors.md with its category', () => {
    const documented = documentedCodes();
    for (const [code, definition] of Object.entries(ERROR_CATALOG)) {
      expect(documented.has(code), `${code} is missing from docs/errors.md`).toBe(true);
      expect(documented.get(code), `${code} in docs/errors.md names another category`).toContain(
        `Category: ${definition.category}`,
      );
    }
  });

  it('lists no code in the docs that the catalog does not have', () => {
    const known = new Set(Object.keys(ERROR_CATALOG));
    for (const code of documentedCodes().keys())
      expect(known.has(code), `${code} is not in the catalog`).toBe(true);
  });

  it('documents each code exactly once', () => {
    const headings = docs.match(/^### .+$/gm) ?? [];
    const seen = new Set<string>();
    for (const heading of headings) {
      expect(seen.has(heading), `${heading} appears twice in docs/errors.md`).toBe(false);
      seen.add(heading);
    }
  });

  it('defines each code in one area file only (a spread would silently let one win)', async () => {
    const folder = new URL('../src/errors/catalog/', import.meta.url);
    const owners = new Map<string, string>();
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.ts'))) {
      if (file === 'index.ts' || file === 'define.ts') continue;
      const module = (await import(new URL(file, folder).href)) as Record<string, unknown>;
      for (const group of Object.values(module)) {
        if (typeof group !== 'object' || group === null) continue;
        for (const code of Object.keys(group)) {
          expect(
            owners.get(code),
            `${code} is defined in both ${owners.get(code)} and ${file}`,
          ).toBeUndefined();
          owners.set(code, file);
        }
      }
    }
    // Every area file is registered in the catalog.
    for (const code of owners.keys())
      expect(Object.hasOwn(ERROR_CATALOG, code), `${code} is not registered`).toBe(true);
  });

  it('names every code RMT_<AREA>_<WHAT> in capitals', () => {
    for (const code of Object.keys(ERROR_CATALOG)) expect(code).toMatch(/^RMT_[A-Z0-9]+(_[A-Z0-9]+)*$/);
  });

  it('gives every code a summary and a hint that says what to do', () => {
    for (const [code, definition] of Object.entries(ERROR_CATALOG)) {
      expect(definition.summary.length, code).toBeGreaterThan(10);
      expect(definition.hint.length, code).toBeGreaterThan(10);
    }
  });
});

describe('RemotelerError', () => {
  it('takes its category and status from the catalog', () => {
    const error = new RemotelerError('RMT_CONFIG_INVALID', 'port must be a number');
    expect(error.category).toBe('input');
    expect(error.status).toBe(400);
    expect(error.hint).toBe(ERROR_CATALOG.RMT_CONFIG_INVALID.hint);
  });

  it('refuses a code that is not in the catalog', () => {
    expect(() => new RemotelerError('RMT_NOT_A_CODE' as never, 'x')).toThrow(TypeError);
  });

  it('is recognised across copies of the package by its registered brand', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('remoteler.error')]: true });
    expect(RemotelerError.is(foreign)).toBe(true);
    expect(RemotelerError.is(new Error('x'))).toBe(false);
    expect(RemotelerError.is(null)).toBe(false);
  });

  it('keeps the cause for logs but leaves it out of the JSON it sends', () => {
    const cause = new Error('secret detail');
    const error = new RemotelerError('RMT_INTERNAL', 'failed', { cause, details: { field: 'a' } });
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error)).not.toContain('secret detail');
    expect(error.toJSON()).toMatchObject({ code: 'RMT_INTERNAL', status: 500, details: { field: 'a' } });
  });

  it('maps each category to one HTTP status', () => {
    expect(statusForCategory('unauthenticated')).toBe(401);
    expect(statusForCategory('forbidden')).toBe(403);
    expect(statusForCategory('not-found')).toBe(404);
    expect(statusForCategory('conflict')).toBe(409);
    expect(statusForCategory('rate-limited')).toBe(429);
    expect(statusForCategory('unavailable')).toBe(503);
  });
});
