// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and lists the functions with the most self
// time: where the profiled process spent its CPU, not counting callees.
import { readFileSync } from 'node:fs';

/**
 * Top `limit` (default 20) functions by self time in the profile at `file`, idle time left out.
 * @returns rows `{ function, where, 'self ms', 'self %' }`; `where` is `file:line` shortened to the
 *   package or `node:` module.
 */
export function topSelfTime(file, limit = 20) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // Samples taken while the benchmark started or stopped the profiler are its cost, not the Proxy's.
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const control = new Set(['profileStart', 'profileStop']);
  const underControl = (id) => {
    for (let at = id; at !== undefined; at = parentOf.get(at)) {
      if (control.has(byId.get(at).callFrame.functionName)) return true;
    }
    return false;
  };
  const selfUs = new Map();
  // timeDeltas[i] is the time since the previous sample; it is charged to samples[i]'s node.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const delta = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    // Waiting for events is not CPU time: percentages are of the time the process was busy.
    if (functionName === '(idle)' || underControl(node.id)) continue;
    const short = url.replace(/^file:\/\/.*\/node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '');
    const key = `${functionName || '(anonymous)'}\u0000${short ? `${short}:${lineNumber + 1}` : ''}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, us]) => {
      const [name, where] = key.split('\u0000');
      return { function: name, where, 'self ms': us / 1000, 'self %': `${((us * 100) / total).toFixed(1)}%` };
    });
}
