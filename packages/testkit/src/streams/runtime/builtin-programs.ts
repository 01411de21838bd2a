import { posix } from 'node:path';
import { FileSystemError } from './memory-file-system.js';
import { ProcessInput } from './process-io.js';
import type { ProcessContext, ProgramHandler } from './program.js';
import { createShellState, runScript, type ShellState } from './shell.js';
import { tarProgram } from './tar-program.js';

// The programs every fake container has. Messages mimic busybox/coreutils closely enough for tests
// that look at stderr; exit codes follow POSIX (127 not found, 2 misuse, 1 failure).

function describeError(error: unknown): string {
  return error instanceof FileSystemError ? error.message : String((error as Error)?.message ?? error);
}

const echo: ProgramHandler = async (context) => {
  const args = context.argv.slice(1);
  let newline = true;
  let escapes = false;
  while (args[0] && /^-[neE]+$/.test(args[0])) {
    const flags = args.shift()!;
    if (flags.includes('n')) newline = false;
    if (flags.includes('e')) escapes = true;
    if (flags.includes('E')) escapes = false;
  }
  let text = args.join(' ');
  if (escapes) text = expandEscapes(text);
  await context.stdout.write(newline ? `${text}\n` : text);
  return 0;
};

function expandEscapes(text: string): string {
  return text.replace(/\\(n|t|r|\\|e|0[0-7]{0,3})/g, (_, code: string) => {
    if (code === 'n') return '\n';
    if (code === 't') return '\t';
    if (code === 'r') return '\r';
    if (code === 'e') return '\x1b';
    if (code === '\\') return '\\';
    return String.fromCharCode(Number.parseInt(code.slice(1) || '0', 8));
  });
}

const printf: ProgramHandler = async (context) => {
  const [format = '', ...args] = context.argv.slice(1);
  if (context.argv.length < 2) {
    await context.stderr.write('printf: usage: printf FORMAT [ARGUMENT]...\n');
    return 2;
  }
  let output = '';
  let index = 0;
  // The format is reused while arguments remain, as POSIX printf does.
  do {
    output += expandEscapes(format).replace(/%([%sdiocx])/g, (_, conversion: string) => {
      if (conversion === '%') return '%';
      const arg = args[index++] ?? '';
      if (conversion === 's') return arg;
      if (conversion === 'c') return arg.slice(0, 1);
      const number = Number.parseInt(arg || '0', 10) || 0;
      if (conversion === 'o') return number.toString(8);
      if (conversion === 'x') return number.toString(16);
      return String(number);
    });
  } while (index < args.length && /%[sdiocx]/.test(format));
  await context.stdout.write(output);
  return 0;
};

const cat: ProgramHandler = async (context) => {
  const files = context.argv.slice(1).filter((arg) => arg !== '-u');
  let status = 0;
  if (files.length === 0) files.push('-');
  for (const file of files) {
    if (file === '-') {
      for await (const chunk of context.stdin) await context.stdout.write(chunk);
      continue;
    }
    try {
      await context.stdout.write(context.fs.readFile(context.resolvePath(file)));
    } catch (error) {
      await context.stderr.write(`cat: ${file}: ${describeError(error)}\n`);
      status = 1;
    }
  }
  return status;
};

const tail: ProgramHandler = async (context) => {
  // Only `tail -c +N` / `tail -c+N`, which `kubectl cp --retries` pipes tar through (§8).
  const args = context.argv.slice(1);
  let spec: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '-c') spec = args[++index];
    else if (arg.startsWith('-c')) spec = arg.slice(2);
  }
  const input = await context.stdin.readAll();
  if (spec?.startsWith('+')) {
    const from = Math.max(1, Number.parseInt(spec.slice(1), 10) || 1);
    await context.stdout.write(input.subarray(from - 1));
    return 0;
  }
  const count = Number.parseInt(spec ?? '', 10);
  await context.stdout.write(Number.isNaN(count) ? input : input.subarray(Math.max(0, input.length - count)));
  return 0;
};

const ls: ProgramHandler = async (context) => {
  const args = context.argv.slice(1).filter((arg) => !arg.startsWith('-'));
  const all = context.argv.slice(1).some((arg) => /^-[a-zA-Z]*a/.test(arg));
  if (args.length === 0) args.push('.');
  let status = 0;
  const lines: string[] = [];
  for (const arg of args) {
    const path = context.resolvePath(arg);
    const stat = context.fs.stat(path);
    if (!stat) {
      await context.stderr.write(`ls: cannot access '${arg}': No such file or directory\n`);
      status = 2;
      continue;
    }
    if (stat.type === 'file') lines.push(arg);
    else {
      if (args.length > 1) lines.push(`${arg}:`);
      const names = context.fs.readdir(path).filter((name) => all || !name.startsWith('.'));
      lines.push(...names);
    }
  }
  if (lines.length > 0) await context.stdout.write(`${lines.join('\n')}\n`);
  return status;
};

const testProgram: ProgramHandler = (context) => {
  let args = context.argv.slice(1);
  if (context.argv[0] === '[') {
    if (args[args.length - 1] !== ']') return 2;
    args = args.slice(0, -1);
  }
  let negate = false;
  if (args[0] === '!') {
    negate = true;
    args = args.slice(1);
  }
  let result: boolean;
  if (args.length === 2) {
    const stat = context.fs.stat(context.resolvePath(args[1]!));
    switch (args[0]) {
      case '-d':
        result = stat?.type === 'directory';
        break;
      case '-f':
        result = stat?.type === 'file';
        break;
      case '-e':
        result = stat !== undefined;
        break;
      case '-s':
        result = (stat?.size ?? 0) > 0;
        break;
      case '-n':
        result = args[1]!.length > 0;
        break;
      case '-z':
        result = args[1]!.length === 0;
        break;
      default:
        return 2;
    }
  } else if (args.length === 3) {
    const [left = '', op, right = ''] = args;
    const numbers = [Number(left), Number(right)] as const;
    switch (op) {
      case '=':
      case '==':
        result = left === right;
        break;
      case '!=':
        result = left !== right;
        break;
      case '-eq':
        result = numbers[0] === numbers[1];
        break;
      case '-ne':
        result = numbers[0] !== numbers[1];
        break;
      case '-lt':
        result = numbers[0] < numbers[1];
        break;
      case '-gt':
        result = numbers[0] > numbers[1];
        break;
      default:
        return 2;
    }
  } else if (args.length === 1) result = args[0]!.length > 0;
  else result = false;
  return result !== negate ? 0 : 1;
};

const mkdir: ProgramHandler = async (context) => {
  const parents = context.argv.includes('-p');
  let status = 0;
  for (const arg of context.argv.slice(1).filter((value) => !value.startsWith('-'))) {
    try {
      context.fs.mkdir(context.resolvePath(arg), { parents });
    } catch (error) {
      await context.stderr.write(`mkdir: can't create directory '${arg}': ${describeError(error)}\n`);
      status = 1;
    }
  }
  return status;
};

const rm: ProgramHandler = async (context) => {
  const flags = context.argv
    .slice(1)
    .filter((value) => value.startsWith('-'))
    .join('');
  let status = 0;
  for (const arg of context.argv.slice(1).filter((value) => !value.startsWith('-'))) {
    try {
      context.fs.remove(context.resolvePath(arg), { recursive: /[rR]/.test(flags) });
    } catch (error) {
      if (flags.includes('f') && (error as FileSystemError).errno === 'ENOENT') continue;
      await context.stderr.write(`rm: can't remove '${arg}': ${describeError(error)}\n`);
      status = 1;
    }
  }
  return status;
};

const touch: ProgramHandler = (context) => {
  for (const arg of context.argv.slice(1)) {
    const path = context.resolvePath(arg);
    if (!context.fs.exists(path)) context.fs.writeFile(path, '');
  }
  return 0;
};

const sleep: ProgramHandler = async (context) => {
  const seconds = Number.parseFloat(context.argv[1] ?? '');
  if (!Number.isFinite(seconds) || seconds < 0) {
    await context.stderr.write(`sleep: invalid number '${context.argv[1] ?? ''}'\n`);
    return 1;
  }
  await context.sleep(seconds * 1000);
  return 0;
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `date`'s default output in UTC, e.g. `Fri Nov 27 11:29:04 UTC 2026`. */
export function formatDate(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`;
}

const date: ProgramHandler = async (context) => {
  await context.stdout.write(`${formatDate(context.now())}\n`);
  return 0;
};

const env: ProgramHandler = async (context) => {
  const lines = Object.entries(context.env).map(([name, value]) => `${name}=${value}`);
  await context.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  return 0;
};

const PROMPT_SUFFIX = ' # ';

/** The interactive prompt: the working directory then ` # ` (a root shell). */
export function shellPrompt(cwd: string): string {
  return `${cwd}${PROMPT_SUFFIX}`;
}

async function interactiveTty(context: ProcessContext, state: ShellState): Promise<number> {
  // A terminal line discipline in cooked mode with echo (termios ICANON|ECHO): the client's
  // terminal is raw, so echo and line editing happen here, as a real pty does for a real shell.
  let line = '';
  const streams = () => ({
    stdin: closedInput(),
    stdout: sinkOf(context.stdout),
    stderr: sinkOf(context.stderr),
  });
  await context.stdout.write(shellPrompt(context.cwd));
  for await (const chunk of context.stdin) {
    for (const char of chunk.toString('utf8')) {
      if (char === '\r' || char === '\n') {
        await context.stdout.write('\n');
        const { exited } = await runScript(state, line, streams());
        line = '';
        if (exited) return state.status;
        await context.stdout.write(shellPrompt(context.cwd));
      } else if (char === '\x7f' || char === '\b') {
        if (line.length > 0) {
          line = line.slice(0, -1);
          await context.stdout.write('\b \b');
        }
      } else if (char === '\x03') {
        line = '';
        await context.stdout.write(`^C\n${shellPrompt(context.cwd)}`);
      } else if (char === '\x04') {
        if (line.length === 0) {
          await context.stdout.write('exit\n');
          return state.status;
        }
      } else if (char === '\x15') {
        await context.stdout.write('\b \b'.repeat(line.length));
        line = '';
      } else if (char >= ' ' || char === '\t') {
        line += char;
        await context.stdout.write(char);
      }
    }
  }
  return state.status;
}

function closedInput(): ProcessInput {
  const input = new ProcessInput();
  input.end();
  return input;
}

function sinkOf(output: ProcessContext['stdout']) {
  return { write: (data: Buffer) => output.write(data) };
}

const sh: ProgramHandler = async (context) => {
  const state = createShellState(context);
  const args = context.argv.slice(1);
  const direct = () => ({
    stdin: context.stdin,
    stdout: sinkOf(context.stdout),
    stderr: sinkOf(context.stderr),
  });
  if (args[0] === '-c') {
    if (args[1] === undefined) {
      await context.stderr.write(`${state.name}: -c requires an argument\n`);
      return 2;
    }
    return (await runScript(state, args[1], direct())).status;
  }
  if (args.length > 0 && !args[0]!.startsWith('-')) {
    const path = context.resolvePath(args[0]!);
    if (!context.fs.stat(path)) {
      await context.stderr.write(`${state.name}: can't open '${args[0]}': No such file or directory\n`);
      return 2;
    }
    return (await runScript(state, context.fs.readFile(path).toString('utf8'), direct())).status;
  }
  if (context.tty) return interactiveTty(context, state);
  // Commands from a pipe: run each line as soon as it is complete; commands get no stdin of their own.
  let pending = '';
  const empty = () => ({
    stdin: closedInput(),
    stdout: sinkOf(context.stdout),
    stderr: sinkOf(context.stderr),
  });
  for await (const chunk of context.stdin) {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if ((await runScript(state, line, empty())).exited) return state.status;
      newline = pending.indexOf('\n');
    }
  }
  if (pending.trim()) await runScript(state, pending, empty());
  return state.status;
};

/** The programs every container starts with, by name. */
export function builtinPrograms(): Map<string, ProgramHandler> {
  return new Map<string, ProgramHandler>([
    ['echo', echo],
    ['printf', printf],
    ['cat', cat],
    ['tail', tail],
    ['ls', ls],
    ['test', testProgram],
    ['[', testProgram],
    ['mkdir', mkdir],
    ['rm', rm],
    ['touch', touch],
    ['sleep', sleep],
    ['date', date],
    ['env', env],
    ['pwd', async (context) => void (await context.stdout.write(`${context.cwd}\n`))],
    ['whoami', async (context) => void (await context.stdout.write('root\n'))],
    ['hostname', async (context) => void (await context.stdout.write(`${context.container.pod}\n`))],
    ['true', () => 0],
    ['false', () => 1],
    [':', () => 0],
    ['sh', sh],
    ['bash', sh],
    ['/bin/sh', sh],
    ['/bin/bash', sh],
    ['tar', tarProgram],
    [
      'basename',
      async (context) => void (await context.stdout.write(`${posix.basename(context.argv[1] ?? '')}\n`)),
    ],
  ]);
}
