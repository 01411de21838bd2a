import { readFile } from 'node:fs/promises';
import { deepFreeze, RemotelerError } from '@remoteler/core';
import { isNode, LineCounter, type Node, parseDocument } from 'yaml';
import { type ConfigProblem, configProblems, formatConfigProblems } from './config-problems.js';
import { type ServerConfig, serverConfigSchema } from './schema.js';

/** A validated configuration and where it came from (relative paths inside it resolve against `directory`). */
export interface LoadedConfig {
  readonly config: ServerConfig;
  /** The file it was read from, or `<inline>`. */
  readonly file: string;
}

/**
 * Validates a configuration object (already parsed YAML or built in code), reporting every problem
 * at once as `RMT_CONFIG_INVALID` with `details.problems` ({@link ConfigProblem}[]). The result is
 * frozen.
 */
export function parseServerConfig(
  input: unknown,
  options: { file?: string; lineOf?: (path: readonly PropertyKey[]) => number | undefined } = {},
): ServerConfig {
  const file = options.file ?? '<inline>';
  const result = serverConfigSchema.safeParse(input);
  if (result.success) return deepFreeze(result.data);
  const problems = configProblems(result.error, input, options.lineOf);
  throw new RemotelerError(
    'RMT_CONFIG_INVALID',
    `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${formatConfigProblems(file, problems)}\n`,
    { details: { file, problems } },
  );
}

/** Parses YAML text and validates it; YAML syntax errors are `RMT_CONFIG_YAML_INVALID` with their lines. */
export function parseServerConfigYaml(text: string, file = '<inline>'): ServerConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => ({
      line: lineCounter.linePos(error.pos[0]).line,
      message: error.message.split('\n')[0] ?? error.message,
    }));
    throw new RemotelerError(
      'RMT_CONFIG_YAML_INVALID',
      `${file} is not valid YAML:\n${problems.map((p) => `  ${file}:${p.line} ${p.message}`).join('\n')}\n`,
      { details: { file, problems } },
    );
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    // The deepest node that exists on the path: a missing field points at its parent map.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
      if (isNode(node) && (node as Node).range) return lineCounter.linePos((node as Node).range![0]).line;
    }
    return undefined;
  };
  return parseServerConfig(doc.toJS() ?? {}, { file, lineOf });
}

/**
 * Reads and validates `remoteler.yaml`. A missing file is `RMT_CONFIG_NOT_FOUND`, an unreadable one
 * `RMT_CONFIG_UNREADABLE`; then see {@link parseServerConfigYaml}.
 */
export async function loadServerConfig(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new RemotelerError('RMT_CONFIG_NOT_FOUND', `the configuration file ${file} does not exist`, {
        details: { file },
      });
    throw new RemotelerError(
      'RMT_CONFIG_UNREADABLE',
      `the configuration file ${file} cannot be read (${code ?? 'I/O error'})`,
      {
        details: { file, errno: code },
        cause: error,
      },
    );
  }
  return { config: parseServerConfigYaml(text, file), file };
}

export type { ConfigProblem };
