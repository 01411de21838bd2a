// Go's time.ParseDuration units (https://pkg.go.dev/time#ParseDuration), in milliseconds.
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
});

const DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/u;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gu;

/**
 * Parses a Go-style duration (`8h`, `1h30m`, `1.5h`, `90s`, `500ms`; `0` alone is zero) into
 * milliseconds, or `undefined` when the text is not one. Signs are refused: a role's TTL is positive.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return Number.isFinite(total) ? total : undefined;
}
