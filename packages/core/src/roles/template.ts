import type { Traits } from '../types/identity.js';

/**
 * A role value holding one `{{…}}` expression, optionally between literal text
 * (`team-{{external.team}}`). Expressions, as in Teleport's role templates:
 * - `internal.<name>` / `external.<name>` (also `external["a-b"]`): the identity's trait stored
 *   under exactly that key (`traits['external.groups']`, `traits['internal.kubernetes_groups']`).
 *   Auth stores a connector's claims as `external.<claim>` and the values Remoteler manages as
 *   `internal.<name>`, so a claim can never pose as an internal trait; keys without a namespace
 *   are never read by templates.
 * - `email.local(<expr>)`: the part before `@` of each value; values without `@` are dropped.
 * - `regexp.replace(<expr>, "<regex>", "<replacement>")`: each value that matches is rewritten
 *   (`$1`… refer to groups); values that do not match are dropped.
 */
export interface RoleTemplate {
  readonly source: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly expression: TemplateExpression;
}

/** The parsed expression inside `{{…}}`. */
export type TemplateExpression =
  | { readonly type: 'trait'; readonly namespace: 'internal' | 'external'; readonly name: string }
  | { readonly type: 'email.local'; readonly argument: TemplateExpression }
  | {
      readonly type: 'regexp.replace';
      readonly argument: TemplateExpression;
      readonly pattern: RegExp;
      /** The same regex with the `g` flag: Teleport (Go's ReplaceAllString) rewrites every match. */
      readonly globalPattern: RegExp;
      readonly replacement: string;
    };

/** The outcome of {@link parseTemplate}: not a template, a template, or why it is a bad one. */
export type TemplateParseResult =
  | { readonly kind: 'literal' }
  | { readonly kind: 'template'; readonly template: RoleTemplate }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Parses a role value: a plain literal, or one `{{…}}` expression with optional literal text
 * around it. A value with braces but no well-formed `{{…}}` is an error, so that a typo never
 * silently becomes a literal group name like `{{external.groups}`.
 */
export function parseTemplate(source: string): TemplateParseResult {
  const open = source.indexOf('{{');
  const close = source.indexOf('}}');
  if (open === -1 && close === -1) return { kind: 'literal' };
  if (open === -1 || close === -1 || close < open) {
    return { kind: 'error', message: `unbalanced template braces in ${JSON.stringify(source)}` };
  }
  const rest = source.slice(close + 2);
  if (rest.includes('{{') || rest.includes('}}') || source.slice(open + 2, close).includes('{{')) {
    return {
      kind: 'error',
      message: `only one {{…}} expression is allowed per value in ${JSON.stringify(source)}`,
    };
  }
  try {
    const parser = new ExpressionParser(source.slice(open + 2, close));
    const expression = parser.parseAll();
    return {
      kind: 'template',
      template: { source, prefix: source.slice(0, open), suffix: rest, expression },
    };
  } catch (error) {
    return {
      kind: 'error',
      message: `invalid template ${JSON.stringify(source)}: ${(error as Error).message}`,
    };
  }
}

/**
 * Expands a template against traits. Every result is a plain string that callers must treat as a
 * literal; a missing trait yields no value (never an empty string, never the raw template).
 */
export function expandTemplate(template: RoleTemplate, traits: Traits): string[] {
  const values = evaluate(template.expression, traits);
  const out: string[] = [];
  for (const value of values) {
    if (value === '') continue;
    out.push(`${template.prefix}${value}${template.suffix}`);
  }
  return out;
}

function evaluate(expression: TemplateExpression, traits: Traits): string[] {
  switch (expression.type) {
    case 'trait': {
      const key = `${expression.namespace}.${expression.name}`;
      const values = Object.hasOwn(traits, key) ? traits[key] : undefined;
      return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
    }
    case 'email.local': {
      const out: string[] = [];
      for (const value of evaluate(expression.argument, traits)) {
        const at = value.lastIndexOf('@');
        if (at > 0) out.push(value.slice(0, at));
      }
      return out;
    }
    case 'regexp.replace': {
      const out: string[] = [];
      for (const value of evaluate(expression.argument, traits)) {
        // A fresh lastIndex each time: the pattern is compiled without the g/y flags.
        if (expression.pattern.test(value))
          out.push(value.replace(expression.globalPattern, expression.replacement));
      }
      return out;
    }
  }
}

type Token =
  | { readonly type: 'ident'; readonly value: string }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'punct'; readonly value: '.' | '(' | ')' | ',' | '[' | ']' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_-]/.test(text[j]!)) j++;
      tokens.push({ type: 'ident', value: text.slice(i, j) });
      i = j;
    } else if (c === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new Error('unterminated string');
        const d = text[j]!;
        if (d === '"') break;
        if (d === '\\') {
          const next = text[j + 1];
          if (next === undefined) throw new Error('unterminated string');
          value += next === '"' || next === '\\' ? next : `\\${next}`;
          j += 2;
        } else {
          value += d;
          j++;
        }
      }
      tokens.push({ type: 'string', value });
      i = j + 1;
    } else if ('.(),[]'.includes(c)) {
      tokens.push({ type: 'punct', value: c as '.' });
      i++;
    } else {
      throw new Error(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

class ExpressionParser {
  readonly #tokens: Token[];
  #position = 0;

  constructor(text: string) {
    this.#tokens = tokenize(text);
  }

  parseAll(): TemplateExpression {
    const expression = this.#expression();
    if (this.#position !== this.#tokens.length) throw new Error('unexpected text after the expression');
    return expression;
  }

  #next(): Token | undefined {
    return this.#tokens[this.#position++];
  }

  #expect(type: Token['type'], value?: string): Token {
    const token = this.#next();
    if (!token || token.type !== type || (value !== undefined && token.value !== value)) {
      throw new Error(`expected ${value ?? type}${token ? ` but found ${JSON.stringify(token.value)}` : ''}`);
    }
    return token;
  }

  #expression(): TemplateExpression {
    const head = this.#expect('ident').value;
    if (head === 'internal' || head === 'external') {
      const token = this.#next();
      if (token?.type === 'punct' && token.value === '.') {
        return { type: 'trait', namespace: head, name: this.#expect('ident').value };
      }
      if (token?.type === 'punct' && token.value === '[') {
        const name = this.#expect('string').value;
        this.#expect('punct', ']');
        if (name === '') throw new Error('empty trait name');
        return { type: 'trait', namespace: head, name };
      }
      throw new Error(`expected .<name> after ${head}`);
    }
    if (head === 'email') {
      this.#expect('punct', '.');
      this.#expect('ident', 'local');
      this.#expect('punct', '(');
      const argument = this.#expression();
      this.#expect('punct', ')');
      return { type: 'email.local', argument };
    }
    if (head === 'regexp') {
      this.#expect('punct', '.');
      this.#expect('ident', 'replace');
      this.#expect('punct', '(');
      const argument = this.#expression();
      this.#expect('punct', ',');
      const source = this.#expect('string').value;
      this.#expect('punct', ',');
      const replacement = this.#expect('string').value;
      this.#expect('punct', ')');
      let pattern: RegExp;
      let globalPattern: RegExp;
      try {
        pattern = new RegExp(source, 'u');
        globalPattern = new RegExp(source, 'gu');
      } catch (error) {
        throw new Error(`invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
      }
      return { type: 'regexp.replace', argument, pattern, globalPattern, replacement };
    }
    throw new Error(
      `unknown namespace or function ${JSON.stringify(head)} (use internal.*, external.*, email.local() or regexp.replace())`,
    );
  }
}
