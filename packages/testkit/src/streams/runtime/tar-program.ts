import { posix } from 'node:path';
import type { ProcessContext, ProgramHandler } from './program.js';
import { readTar, type TarEntry, TarFormatError, writeTar } from './ustar.js';

// `tar` as `kubectl cp` drives it (k8s-protocols.md §8): `tar cf - <path>` (pod -> local) and
// `tar -xmf - -C <dir>` / `tar xmf - -C <dir>` / `tar --no-same-permissions --no-same-owner -xmf - -C
// <dir>` (local -> pod). The archive always travels on stdin/stdout (`f -`).

interface TarOptions {
  mode: 'create' | 'extract' | 'list' | undefined;
  file: string | undefined;
  directory: string | undefined;
  verbose: boolean;
  paths: string[];
}

function parseArgs(argv: readonly string[]): TarOptions | string {
  const options: TarOptions = {
    mode: undefined,
    file: undefined,
    directory: undefined,
    verbose: false,
    paths: [],
  };
  const args = argv.slice(1);
  const pendingValues: Array<'file' | 'directory'> = [];
  const takeLetters = (letters: string): string | undefined => {
    for (const letter of letters) {
      if (letter === 'c') options.mode = 'create';
      else if (letter === 'x') options.mode = 'extract';
      else if (letter === 't') options.mode = 'list';
      else if (letter === 'f') pendingValues.push('file');
      else if (letter === 'C') pendingValues.push('directory');
      else if (letter === 'v') options.verbose = true;
      else if (!'mpo'.includes(letter)) return `tar: invalid option -- '${letter}'`;
    }
    return undefined;
  };
  for (const [index, arg] of args.entries()) {
    if (pendingValues.length > 0) {
      options[pendingValues.shift()!] = arg;
      continue;
    }
    if (arg.startsWith('--')) {
      if (arg.startsWith('--directory=')) options.directory = arg.slice('--directory='.length);
      else if (arg.startsWith('--file=')) options.file = arg.slice('--file='.length);
      // --no-same-permissions, --no-same-owner and the like change nothing in a fake filesystem.
      continue;
    }
    // Old-style bundled letters (`tar cf - x`) only in first position; otherwise `-xmf`.
    const letters = arg.startsWith('-') ? arg.slice(1) : index === 0 ? arg : undefined;
    if (letters !== undefined && letters.length > 0) {
      const problem = takeLetters(letters);
      if (problem) return problem;
      continue;
    }
    options.paths.push(arg);
  }
  if (pendingValues.length > 0)
    return `tar: option requires an argument -- '${pendingValues[0] === 'file' ? 'f' : 'C'}'`;
  return options;
}

function collect(context: ProcessContext, path: string, name: string, entries: TarEntry[]): void {
  const stat = context.fs.stat(path)!;
  if (stat.type === 'directory') {
    entries.push({ name, type: 'directory', mode: stat.mode, mtime: stat.mtime, data: Buffer.alloc(0) });
    for (const child of context.fs.readdir(path))
      collect(context, posix.join(path, child), `${name}/${child}`, entries);
  } else {
    entries.push({ name, type: 'file', mode: stat.mode, mtime: stat.mtime, data: context.fs.readFile(path) });
  }
}

async function create(context: ProcessContext, options: TarOptions): Promise<number> {
  if (options.paths.length === 0) {
    await context.stderr.write('tar: Cowardly refusing to create an empty archive\n');
    return 2;
  }
  const entries: TarEntry[] = [];
  let status = 0;
  const base = options.directory ? context.resolvePath(options.directory) : context.cwd;
  for (const path of options.paths) {
    const absolute = path.startsWith('/') ? posix.normalize(path) : posix.join(base, path);
    if (!context.fs.exists(absolute)) {
      await context.stderr.write(`tar: ${path}: Cannot stat: No such file or directory\n`);
      status = 2;
      continue;
    }
    // Member names drop the leading '/', as GNU tar does; kubectl expects exactly that prefix.
    const name = posix.normalize(path).replace(/^\/+/, '').replace(/\/+$/, '') || '.';
    collect(context, absolute, name, entries);
  }
  if (options.verbose) for (const entry of entries) await context.stderr.write(`${entry.name}\n`);
  await context.stdout.write(writeTar(entries));
  if (status !== 0) await context.stderr.write('tar: Exiting with failure status due to previous errors\n');
  return status;
}

async function extract(context: ProcessContext, options: TarOptions, listOnly: boolean): Promise<number> {
  const archive = await context.stdin.readAll();
  let entries: TarEntry[];
  try {
    entries = readTar(archive);
  } catch (error) {
    if (!(error instanceof TarFormatError)) throw error;
    await context.stderr.write(`tar: ${error.message}\ntar: Error is not recoverable: exiting now\n`);
    return 2;
  }
  if (listOnly) {
    await context.stdout.write(entries.map((entry) => `${entry.name}\n`).join(''));
    return 0;
  }
  const target = options.directory ? context.resolvePath(options.directory) : context.cwd;
  if (context.fs.stat(target)?.type !== 'directory') {
    await context.stderr.write(`tar: ${options.directory}: Cannot open: No such file or directory\n`);
    return 2;
  }
  for (const entry of entries) {
    const name = entry.name.replace(/^\/+/, '');
    // GNU tar refuses members that climb out of the target directory.
    if (name.split('/').includes('..')) {
      await context.stderr.write(`tar: ${entry.name}: Member name contains '..'\n`);
      continue;
    }
    const path = posix.join(target, name);
    if (options.verbose) await context.stdout.write(`${name}\n`);
    if (entry.type === 'directory') context.fs.mkdir(path, { parents: true, mode: entry.mode });
    else if (entry.type === 'file')
      context.fs.writeFile(path, entry.data, { mode: entry.mode, mtime: context.now(), parents: true });
  }
  return 0;
}

/** The fake `tar`: create to stdout and extract from stdin, ustar format. */
export const tarProgram: ProgramHandler = async (context) => {
  const options = parseArgs(context.argv);
  if (typeof options === 'string') {
    await context.stderr.write(`${options}\n`);
    return 2;
  }
  if (options.file !== undefined && options.file !== '-') {
    await context.stderr.write('tar: only stdin/stdout archives (f -) are supported here\n');
    return 2;
  }
  if (options.mode === 'create') return create(context, options);
  if (options.mode === 'extract' || options.mode === 'list')
    return extract(context, options, options.mode === 'list');
  await context.stderr.write("tar: You must specify one of the '-Acdtrux' options\n");
  return 2;
};
