import { RemotelerError } from '@remoteler/core';

/** A parsed command line: positional words and `--flag value` / `--flag=value` / boolean flags. */
export interface ParsedArgs {
  readonly positional: readonly string[];
  readonly flags: Readonly<Record<string, string | true>>;
}

/**
 * Parses `argv` against the flags a command knows: `valued` flags take a value, `booleans` do not.
 * An unknown flag or a valued flag without its value is `RMT_SERVER_USAGE`.
 */
export function parseArgs(
  argv: readonly string[],
  known: { readonly valued: readonly string[]; readonly booleans: readonly string[] },
): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (known.booleans.includes(name) && eq === -1) flags[name] = true;
    else if (known.valued.includes(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '')
        throw new RemotelerError('RMT_SERVER_USAGE', `--${name} needs a value`);
      flags[name] = value;
    } else throw new RemotelerError('RMT_SERVER_USAGE', `unknown flag --${name}`);
  }
  return { positional, flags };
}
