/** One command of the `remoteler` command line, as completion (and help) sees it. */
export interface CommandSpec {
  /** Subcommands by name. */
  readonly subcommands?: Readonly<Record<string, CommandSpec>>;
  /** Fixed words a positional argument may be (kinds, shells); others are free text. */
  readonly args?: readonly string[];
  /** Flags this command takes, e.g. `--json`, `-o`. */
  readonly flags?: readonly string[];
  /** Values of this command's flags where they differ from {@link FLAG_VALUES}. */
  readonly values?: Readonly<Record<string, FlagValue>>;
}

/** What the value of a flag is: fixed words, a file name, or free text (nothing to offer). */
export type FlagValue = readonly string[] | 'file' | 'text';

const COMMON = ['--json', '--proxy', '--help'];
const GET_KINDS = ['roles', 'users', 'clusters', 'locks'];

/**
 * The command tree of `remoteler`, kept beside the parser in `cli.ts` (a test checks that every
 * command listed here is one the CLI knows). Shell completion scripts are generated from it.
 */
export const COMMAND_TREE: CommandSpec = Object.freeze({
  subcommands: {
    login: {
      flags: [
        ...COMMON,
        '--user',
        '--password-stdin',
        '--ca-file',
        '--ca-pin',
        '--insecure',
        '--auth',
        '--ttl',
        '--browser',
        '--embed',
      ],
    },
    logout: { flags: COMMON },
    status: { flags: COMMON },
    kube: {
      subcommands: {
        ls: { flags: COMMON },
        login: { flags: COMMON },
        credentials: { flags: [...COMMON, '--cluster'] },
      },
    },
    admin: {
      subcommands: {
        create: { flags: [...COMMON, '-f', '--filename'] },
        get: { args: GET_KINDS, flags: [...COMMON, '-o', '--output'] },
        rm: { args: ['role/', 'user/', 'cluster/', 'lock/'], flags: COMMON },
        users: {
          subcommands: {
            add: {
              flags: [...COMMON, '--roles', '--type', '--connector'],
              values: { '--type': ['local', 'sso'] },
            },
            rm: { flags: COMMON },
            'password-hash': { flags: ['--json', '--password-stdin', '--help'] },
          },
        },
        lock: { flags: [...COMMON, '--user', '--role', '--cluster', '--ttl', '--message', '--name'] },
        unlock: { flags: COMMON },
        tokens: {
          subcommands: {
            add: { flags: [...COMMON, '--type', '--ttl'], values: { '--type': ['proxy', 'agent'] } },
            ls: { flags: COMMON },
            rm: { flags: COMMON },
          },
        },
      },
    },
    completion: { args: ['bash', 'zsh', 'fish'], flags: ['--help'] },
    help: {},
  },
});

/** Flags that take a value, and what to offer for it. Boolean flags are not listed. */
export const FLAG_VALUES: Readonly<Record<string, FlagValue>> = Object.freeze({
  '--proxy': 'text',
  '--user': 'text',
  '--ca-file': 'file',
  '--ca-pin': 'text',
  '--auth': 'text',
  '--ttl': 'text',
  '--browser': ['none', 'default'],
  '--cluster': 'text',
  '-f': 'file',
  '--filename': 'file',
  '-o': ['table', 'yaml', 'json'],
  '--output': ['table', 'yaml', 'json'],
  '--roles': 'text',
  '--type': 'text',
  '--connector': 'text',
  '--role': 'text',
  '--message': 'text',
  '--name': 'text',
});
