import { RemotelerError } from '@remoteler/core';
import type { ProxyExchange } from './exchange.js';

/** One named step of the request pipeline. Throwing refuses the request (the error becomes a Status). */
export interface ProxyStep {
  readonly name: string;
  run(exchange: ProxyExchange): void | Promise<void>;
}

/** Names of the security steps, in their fixed order. */
export const SECURITY_STEPS = ['authenticate', 'route', 'authorize', 'impersonate', 'forward'] as const;

/** A security step's name. */
export type SecurityStepName = (typeof SECURITY_STEPS)[number];

/**
 * A step a host application adds. It runs right after the named security step; it cannot run
 * before `authenticate` or after `forward`, and cannot replace or reorder the security steps.
 */
export interface HostStep {
  readonly after: Exclude<SecurityStepName, 'forward'>;
  readonly step: ProxyStep;
}

/**
 * Orders the security steps and inserts host steps. Validated once at construction: an unknown
 * `after`, a duplicated or reserved name, or a security step given out of place is
 * `RMT_CONFIG_INVALID`.
 */
export function composePipeline(
  security: Readonly<Record<SecurityStepName, ProxyStep>>,
  hostSteps: readonly HostStep[] = [],
): readonly ProxyStep[] {
  const problems: string[] = [];
  const names = new Set<string>([...SECURITY_STEPS, 'audit']);
  hostSteps.forEach((host, index) => {
    if (!SECURITY_STEPS.includes(host.after as SecurityStepName) || host.after === ('forward' as string))
      problems.push(`steps[${index}].after must be one of authenticate, route, authorize, impersonate`);
    if (typeof host.step?.run !== 'function') problems.push(`steps[${index}].step.run must be a function`);
    const name = host.step?.name;
    if (typeof name !== 'string' || name === '')
      problems.push(`steps[${index}].step.name must be a non-empty string`);
    else if (names.has(name)) problems.push(`steps[${index}].step.name "${name}" is already taken`);
    else names.add(name);
  });
  if (problems.length > 0)
    throw new RemotelerError('RMT_CONFIG_INVALID', `invalid pipeline steps: ${problems.join('; ')}`, {
      details: { problems },
    });
  const ordered: ProxyStep[] = [];
  for (const name of SECURITY_STEPS) {
    const step = security[name];
    if (step.name !== name) throw new RemotelerError('RMT_INTERNAL', `security step ${name} is misnamed`);
    ordered.push(step);
    for (const host of hostSteps) if (host.after === name) ordered.push(host.step);
  }
  return Object.freeze(ordered);
}

/** Runs the steps in order until one throws or the last one finishes. */
export async function runPipeline(steps: readonly ProxyStep[], exchange: ProxyExchange): Promise<void> {
  for (const step of steps) {
    if (exchange.aborted) return;
    // Most steps are synchronous: only a step that returned a promise is waited for.
    const running = step.run(exchange);
    if (running !== undefined) await running;
  }
}
