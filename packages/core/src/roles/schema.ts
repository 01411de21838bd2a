import { z } from 'zod';
import { parseGoDuration } from './duration.js';
import { builtinKind, RULE_VERBS, VERB_SUBRESOURCES } from './kinds.js';
import { isRegexPattern, patternProblem } from './pattern.js';
import { parseTemplate } from './template.js';

/** Role names: they travel in certificates (one `O=` RDN each) and in URLs, so they stay plain. */
export const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** True when a value holds a C0 control character or DEL (they would corrupt HTTP headers and logs). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function addProblem(ctx: z.RefinementCtx, message: string, path: PropertyKey[] = []): void {
  ctx.addIssue({ code: 'custom', message, path });
}

/** A literal, `*` glob or `^regex$`, optionally with one template (not inside a regex). */
function patternValue(options: { allowEmpty?: boolean; templates?: boolean } = {}) {
  return z.string().superRefine((value, ctx) => {
    if (value === '' && !options.allowEmpty) return addProblem(ctx, 'must not be empty');
    if (hasControl(value)) return addProblem(ctx, 'must not contain control characters');
    const template = parseTemplate(value);
    if (template.kind === 'error') return addProblem(ctx, template.message);
    if (template.kind === 'template') {
      if (!options.templates) return addProblem(ctx, 'templates are not allowed here');
      if (isRegexPattern(value)) {
        return addProblem(
          ctx,
          'a template cannot be used inside a ^regex$ (expanded values are literals); use a glob or a plain template',
        );
      }
      return;
    }
    const problem = patternProblem(value);
    if (problem) addProblem(ctx, problem);
  });
}

/** `allow` principals are literal names or templates; `deny` principals may also be patterns. */
function principalValue(side: 'allow' | 'deny') {
  return z.string().superRefine((value, ctx) => {
    if (value.trim() === '') return addProblem(ctx, 'must not be empty');
    if (hasControl(value)) return addProblem(ctx, 'must not contain control characters');
    const template = parseTemplate(value);
    if (template.kind === 'error') return addProblem(ctx, template.message);
    if (template.kind === 'template') {
      if (isRegexPattern(value)) return addProblem(ctx, 'a template cannot be used inside a ^regex$');
      return;
    }
    if (side === 'allow' && (value.includes('*') || isRegexPattern(value))) {
      return addProblem(
        ctx,
        'allowed Kubernetes users and groups are exact names, not patterns (patterns are accepted under deny)',
      );
    }
    const problem = patternProblem(value);
    if (problem) addProblem(ctx, problem);
  });
}

const labelSelector = z
  .record(
    z.string(),
    z.union([patternValue({ templates: true }), z.array(patternValue({ templates: true }))]),
  )
  .superRefine((labels, ctx) => {
    for (const [key, value] of Object.entries(labels)) {
      if (key === '') addProblem(ctx, 'label keys must not be empty', [key]);
      else if (parseTemplate(key).kind !== 'literal')
        addProblem(ctx, 'label keys cannot hold templates', [key]);
      else if (
        key === '*' &&
        !(value === '*' || (Array.isArray(value) && value.length === 1 && value[0] === '*'))
      ) {
        addProblem(ctx, "the wildcard key '*' only takes the value '*' (it matches every cluster)", [key]);
      } else if (key !== '*' && key.includes('*')) {
        addProblem(ctx, "label keys are exact names (only the lone '*' key is a wildcard)", [key]);
      }
    }
  });

const resourceRule = z
  .strictObject({
    kind: z.string().regex(/^(\*|[a-z0-9][a-z0-9.-]*(\/[a-z0-9][a-z0-9.-]*)?)$/, {
      message: "must be '*', a lowercase resource kind (pod, deployments, crontabs) or resource/subresource",
    }),
    api_group: patternValue({ allowEmpty: true }).optional(),
    namespace: patternValue({ templates: true }).optional(),
    name: patternValue({ templates: true }).optional(),
    verbs: z
      .array(
        z.string().refine((verb) => RULE_VERBS.has(verb), {
          message: `must be one of ${[...RULE_VERBS].join(', ')}`,
        }),
      )
      .min(1, { message: 'list at least one verb (or * for all)' }),
  })
  .superRefine((rule, ctx) => {
    const [base = '', subresource] = rule.kind.split('/');
    if (subresource !== undefined && VERB_SUBRESOURCES.has(subresource)) {
      addProblem(ctx, `${subresource} is a verb: write kind: ${base} with verbs: [${subresource}]`, ['kind']);
      return;
    }
    if (rule.kind === '*') return;
    const builtin = builtinKind(base);
    if (builtin?.resource === 'namespaces' && subresource === undefined) {
      if (rule.namespace !== undefined) {
        addProblem(ctx, 'kind namespace is cluster-scoped: name the namespaces with name, not namespace', [
          'namespace',
        ]);
      }
      return;
    }
    if (!builtin) {
      if (rule.api_group === undefined) {
        addProblem(
          ctx,
          `${base} is not a built-in kind: set api_group to its API group (e.g. stable.example.com) or '*'`,
          ['api_group'],
        );
      }
      return;
    }
    if (builtin.namespaced && rule.namespace === undefined) {
      addProblem(ctx, `${base} is namespaced: set namespace (a name, a glob, a ^regex$, or '*' for all)`, [
        'namespace',
      ]);
    }
    if (!builtin.namespaced && rule.namespace !== undefined) {
      addProblem(ctx, `${base} is cluster-scoped: remove namespace`, ['namespace']);
    }
  });

function conditions(side: 'allow' | 'deny') {
  return z.strictObject({
    kubernetes_labels: labelSelector.optional(),
    kubernetes_groups: z.array(principalValue(side)).optional(),
    kubernetes_users: z.array(principalValue(side)).optional(),
    kubernetes_resources: z.array(resourceRule).optional(),
  });
}

const options = z.strictObject({
  max_session_ttl: z
    .string()
    .superRefine((value, ctx) => {
      const ms = parseGoDuration(value);
      if (ms === undefined) addProblem(ctx, 'must be a Go-style duration such as 8h, 30m or 1h30m');
      else if (ms < 1000) addProblem(ctx, 'must be at least 1s');
    })
    .optional(),
});

/** The zod schema of a v1 role: unknown fields are refused at every level. */
export const roleSchema = z.strictObject({
  kind: z.literal('role', { message: "must be 'role'" }),
  version: z.literal('v1', { message: "must be 'v1' (the only role version)" }),
  metadata: z.strictObject({
    name: z.string().regex(ROLE_NAME, {
      message: 'must start with a letter or digit and use only letters, digits, . _ - @ (at most 128)',
    }),
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    revision: z.string().optional(),
  }),
  spec: z
    .strictObject({
      options: options.optional(),
      allow: conditions('allow').optional(),
      deny: conditions('deny').optional(),
    })
    .optional(),
});
