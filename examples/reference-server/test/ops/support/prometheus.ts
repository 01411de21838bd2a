import parsePrometheusTextFormat, {
  type PrometheusFamily,
  type PrometheusSample,
} from 'parse-prometheus-text-format';

/** Metric families of a Prometheus text exposition, parsed by an independent parser. */
export function parseMetrics(text: string): PrometheusFamily[] {
  return parsePrometheusTextFormat(text);
}

function matches(sample: PrometheusSample, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value);
}

/** The family called `name`; throws with the names present when there is none. */
export function family(families: readonly PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric ${name}; have ${families.map((f) => f.name).join(', ')}`);
  return found;
}

/** The value of the counter/gauge sample with these labels (0 when absent). */
export function sampleValue(
  families: readonly PrometheusFamily[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const found = families.find((f) => f.name === name);
  const sample = found?.metrics.find((m) => matches(m, labels));
  return sample?.value === undefined ? 0 : Number(sample.value);
}

/**
 * The observation count of the histogram series with exactly these labels, read from its `_count`
 * line. parse-prometheus-text-format 1.1.1 keeps only the buckets of the first series of a labelled
 * histogram (labels, sum and count are dropped), so this one value is read from the text itself.
 */
export function histogramCount(text: string, name: string, labels: Readonly<Record<string, string>>): number {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match || match[1] !== `${name}_count`) continue;
    const present = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (present === wanted) return Number(match[3]);
  }
  return 0;
}
