import { collectingSink, discardSink, type OutputSink, ProcessInput } from './process-io.js';
import type { ProcessContext } from './program.js';

// A deliberately small POSIX-ish shell: enough for `sh -c` one-liners in tests and an interactive
// session through a TTY. Words with '…', "…", backslashes, $VAR, ${VAR}, $?, $0; `;`, `&&`, `||`,
// `|`, newlines; redirections >, >>, <, >&2, 2>&1, 2>/dev/null; builtins exit, cd, export, and
// NAME=value assignments. No globbing, subshells, functions or control flow.

type Piece =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'variable'; readonly name: string };
type Word = readonly Piece[];
type Token =
  | { readonly kind: 'word'; readonly word: Word; readonly raw: string }
  | { readonly kind: 'operator'; readonly op: ';' | '&&' | '||' | '|' | '\n' }
  | { readonly kind: 'redirect'; readonly fd: number; readonly op: '>' | '>>' | '<' | '>&' };

interface Redirect {
  readonly fd: number;
  readonly op: '>' | '>>' | '<' | '>&';
  readonly target: Word;
}

interface SimpleCommand {
  readonly words: Word[];
  readonly redirects: Redirect[];
}

type Pipeline = SimpleCommand[];

interface ListItem {
  readonly connector: ';' | '&&' | '||';
  readonly pipeline: Pipeline;
}

/** A syntax error in a script, reported like `sh: syntax error: …`. */
export class ShellSyntaxError extends Error {}

/** Thrown by `exit` to end the script with a status. */
class ShellExit {
  constructor(readonly status: number) {}
}

function tokenize(script: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  const isSpace = (char: string | undefined) => char === ' ' || char === '\t';
  while (index < script.length) {
    const char = script[index]!;
    if (isSpace(char)) {
      index++;
      continue;
    }
    if (char === '#') {
      while (index < script.length && script[index] !== '\n') index++;
      continue;
    }
    if (char === '\n' || char === ';') {
      tokens.push({ kind: 'operator', op: char });
      index++;
      continue;
    }
    if (char === '&' && script[index + 1] === '&') {
      tokens.push({ kind: 'operator', op: '&&' });
      index += 2;
      continue;
    }
    if (char === '|') {
      const double = script[index + 1] === '|';
      tokens.push({ kind: 'operator', op: double ? '||' : '|' });
      index += double ? 2 : 1;
      continue;
    }
    const redirect = /^(\d?)(>>|>&|>|<)/.exec(script.slice(index));
    if (redirect && (redirect[1] !== '' || char === '>' || char === '<')) {
      const op = redirect[2] as '>' | '>>' | '<' | '>&';
      const fd = redirect[1] ? Number(redirect[1]) : op === '<' ? 0 : 1;
      tokens.push({ kind: 'redirect', fd, op });
      index += redirect[0].length;
      continue;
    }
    // A word: runs until unquoted whitespace or operator.
    const pieces: Piece[] = [];
    let literal = '';
    let raw = '';
    const flush = () => {
      if (literal) pieces.push({ kind: 'literal', text: literal });
      literal = '';
    };
    const variable = (at: number): number => {
      // `at` points just after '$'.
      const rest = script.slice(at);
      const braced = /^\{([A-Za-z_][A-Za-z0-9_]*|\?|\d)\}/.exec(rest);
      const plain = /^([A-Za-z_][A-Za-z0-9_]*|\?|\d|#)/.exec(rest);
      const match = braced ?? plain;
      if (!match) {
        literal += '$';
        return at;
      }
      flush();
      pieces.push({ kind: 'variable', name: match[1]! });
      return at + match[0].length;
    };
    while (index < script.length) {
      const current = script[index]!;
      if (
        isSpace(current) ||
        current === '\n' ||
        current === ';' ||
        current === '|' ||
        current === '<' ||
        current === '>'
      )
        break;
      if (current === '&' && script[index + 1] === '&') break;
      const start = index;
      if (current === "'") {
        const end = script.indexOf("'", index + 1);
        if (end < 0) throw new ShellSyntaxError('unterminated quoted string');
        literal += script.slice(index + 1, end);
        pieces.push({ kind: 'literal', text: '' });
        index = end + 1;
      } else if (current === '"') {
        index++;
        pieces.push({ kind: 'literal', text: '' });
        for (;;) {
          if (index >= script.length) throw new ShellSyntaxError('unterminated quoted string');
          const inner = script[index]!;
          if (inner === '"') {
            index++;
            break;
          }
          if (inner === '\\' && '"\\$`\n'.includes(script[index + 1] ?? '')) {
            if (script[index + 1] !== '\n') literal += script[index + 1];
            index += 2;
          } else if (inner === '$') {
            index = variable(index + 1);
          } else {
            literal += inner;
            index++;
          }
        }
      } else if (current === '\\') {
        if (script[index + 1] !== '\n') literal += script[index + 1] ?? '';
        index += 2;
      } else if (current === '$') {
        index = variable(index + 1);
      } else {
        literal += current;
        index++;
      }
      raw += script.slice(start, index);
    }
    flush();
    tokens.push({ kind: 'word', word: pieces, raw });
  }
  return tokens;
}

function parse(script: string): ListItem[] {
  const tokens = tokenize(script);
  const items: ListItem[] = [];
  let connector: ListItem['connector'] = ';';
  let pipeline: Pipeline = [];
  let command: SimpleCommand = { words: [], redirects: [] };
  const endCommand = () => {
    if (command.words.length === 0 && command.redirects.length === 0) {
      if (pipeline.length > 0) throw new ShellSyntaxError("unexpected end after '|'");
      return false;
    }
    pipeline.push(command);
    command = { words: [], redirects: [] };
    return true;
  };
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.kind === 'word') command.words.push(token.word);
    else if (token.kind === 'redirect') {
      const target = tokens[index + 1];
      if (target?.kind !== 'word') throw new ShellSyntaxError('a redirection needs a target');
      command.redirects.push({ fd: token.fd, op: token.op, target: target.word });
      index++;
    } else if (token.op === '|') {
      if (!endCommand()) throw new ShellSyntaxError("unexpected '|'");
    } else {
      const hadCommand = endCommand();
      if (pipeline.length > 0) {
        items.push({ connector, pipeline });
        pipeline = [];
      } else if (!hadCommand && (token.op === '&&' || token.op === '||')) {
        throw new ShellSyntaxError(`unexpected '${token.op}'`);
      }
      connector = token.op === '\n' ? ';' : token.op;
    }
  }
  endCommand();
  if (pipeline.length > 0) items.push({ connector, pipeline });
  else if (connector === '&&' || connector === '||') throw new ShellSyntaxError('unexpected end of script');
  return items;
}

/** Shell state that survives between lines of an interactive session. */
export interface ShellState {
  readonly context: ProcessContext;
  readonly variables: Record<string, string>;
  status: number;
  /** argv[0] of the shell, for `$0` and error prefixes. */
  readonly name: string;
}

/** Creates state for one shell process. */
export function createShellState(context: ProcessContext): ShellState {
  return { context, variables: {}, status: 0, name: context.argv[0] ?? 'sh' };
}

function expand(state: ShellState, word: Word): string {
  return word
    .map((piece) => {
      if (piece.kind === 'literal') return piece.text;
      if (piece.name === '?') return String(state.status);
      if (piece.name === '0') return state.name;
      if (/^\d$/.test(piece.name) || piece.name === '#') return piece.name === '#' ? '0' : '';
      return state.variables[piece.name] ?? state.context.env[piece.name] ?? '';
    })
    .join('');
}

const fileSink = (state: ShellState, path: string, append: boolean): OutputSink => {
  const { fs } = state.context;
  const absolute = state.context.resolvePath(path);
  if (path === '/dev/null') return discardSink();
  fs.writeFile(absolute, '', { append });
  return {
    write(data) {
      fs.writeFile(absolute, data, { append: true });
      return Promise.resolve();
    },
  };
};

interface Streams {
  readonly stdin: ProcessInput;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
}

async function runSimple(state: ShellState, command: SimpleCommand, streams: Streams): Promise<number> {
  const { context } = state;
  const words = command.words.map((word) => expand(state, word));
  const assignments: Record<string, string> = {};
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
    const assignment = words.shift()!;
    const equals = assignment.indexOf('=');
    assignments[assignment.slice(0, equals)] = assignment.slice(equals + 1);
  }
  let { stdin, stdout, stderr } = streams;
  try {
    for (const redirect of command.redirects) {
      const target = expand(state, redirect.target);
      if (redirect.op === '>&') {
        const sink = target === '1' ? stdout : target === '2' ? stderr : undefined;
        if (!sink) throw new Error(`${target}: bad file descriptor`);
        if (redirect.fd === 2) stderr = sink;
        else stdout = sink;
      } else if (redirect.op === '<') {
        const input = new ProcessInput();
        if (target !== '/dev/null') input.push(context.fs.readFile(context.resolvePath(target)));
        input.end();
        stdin = input;
      } else {
        const sink = fileSink(state, target, redirect.op === '>>');
        if (redirect.fd === 2) stderr = sink;
        else stdout = sink;
      }
    }
  } catch (error) {
    await streams.stderr.write(Buffer.from(`${state.name}: ${(error as Error).message}\n`));
    return 1;
  }
  if (words.length === 0) {
    Object.assign(state.variables, assignments);
    return 0;
  }
  const [name, ...args] = words as [string, ...string[]];
  switch (name) {
    case 'exit': {
      const code = args[0] === undefined ? state.status : Number.parseInt(args[0], 10);
      throw new ShellExit(Number.isNaN(code) ? 2 : code & 0xff);
    }
    case 'cd': {
      const target = context.resolvePath(args[0] ?? context.env.HOME ?? '/');
      if (context.fs.stat(target)?.type !== 'directory') {
        await stderr.write(
          Buffer.from(`${state.name}: cd: can't cd to ${args[0] ?? ''}: No such file or directory\n`),
        );
        return 2;
      }
      context.cwd = target;
      context.env.PWD = target;
      return 0;
    }
    case 'export':
      for (const arg of args) {
        const equals = arg.indexOf('=');
        if (equals > 0) context.env[arg.slice(0, equals)] = arg.slice(equals + 1);
        else if (state.variables[arg] !== undefined) context.env[arg] = state.variables[arg];
      }
      return 0;
    default:
      return context.spawn(words, {
        stdin,
        stdout,
        stderr,
        env: { ...context.env, ...assignments },
        cwd: context.cwd,
      });
  }
}

async function runPipeline(state: ShellState, pipeline: Pipeline, streams: Streams): Promise<number> {
  if (pipeline.length === 1) return runSimple(state, pipeline[0]!, streams);
  const runs: Promise<number>[] = [];
  let input = streams.stdin;
  for (const [index, command] of pipeline.entries()) {
    const last = index === pipeline.length - 1;
    const pipe = last ? undefined : new ProcessInput();
    const stdout: OutputSink = pipe
      ? {
          write(data) {
            pipe.push(data);
            return Promise.resolve();
          },
        }
      : streams.stdout;
    runs.push(
      runSimple(state, command, { stdin: input, stdout, stderr: streams.stderr }).finally(() => pipe?.end()),
    );
    if (pipe) input = pipe;
  }
  const statuses = await Promise.all(runs);
  return statuses[statuses.length - 1]!;
}

/**
 * Runs a script in the shell state. Resolves with `{ status, exited }`: `exited` is true when the
 * script ran `exit`, which ends an interactive shell too.
 */
export async function runScript(
  state: ShellState,
  script: string,
  streams: Streams,
): Promise<{ status: number; exited: boolean }> {
  let items: ListItem[];
  try {
    items = parse(script);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    await streams.stderr.write(Buffer.from(`${state.name}: syntax error: ${error.message}\n`));
    state.status = 2;
    return { status: 2, exited: false };
  }
  try {
    for (const item of items) {
      if (item.connector === '&&' && state.status !== 0) continue;
      if (item.connector === '||' && state.status === 0) continue;
      state.status = await runPipeline(state, item.pipeline, streams);
    }
  } catch (error) {
    if (error instanceof ShellExit) {
      state.status = error.status;
      return { status: error.status, exited: true };
    }
    throw error;
  }
  return { status: state.status, exited: false };
}

/** Command substitution helper for tests and programs: runs `script`, returns its stdout. */
export async function captureScript(state: ShellState, script: string): Promise<string> {
  const out = collectingSink();
  const input = new ProcessInput();
  input.end();
  await runScript(state, script, { stdin: input, stdout: out, stderr: discardSink() });
  return out.bytes().toString('utf8');
}
