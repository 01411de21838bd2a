import { dirname, resolve } from 'node:path';
import { RemotelerError } from '@remoteler/core';
import { loadServerConfig } from '../config/load-config.js';
import { createLogger, createShutdown, type RemotelerLogger } from '../ops/index.js';
import { startServer } from '../server/start-server.js';
import { parseArgs } from './parse-args.js';
import type { CliIo } from './run-cli.js';

function portFlag(value: string | true | undefined): number | undefined {
  if (value === undefined || value === true) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new RemotelerError(
      'RMT_SERVER_USAGE',
      `--port must be a port number (0-65535), got ${JSON.stringify(value)}`,
    );
  return port;
}

/**
 * Stays in the foreground until SIGTERM/SIGINT (graceful stop within the deadline, through the ops
 * shutdown coordinator); SIGHUP reloads the roles.
 */
async function serve(
  logger: RemotelerLogger,
  stop: (signal: AbortSignal) => Promise<void>,
  reload: (() => Promise<void>) | undefined,
): Promise<number> {
  return new Promise<number>((resolveExit) => {
    const shutdown = createShutdown({
      logger,
      exit: (code) => {
        logger.flush?.();
        resolveExit(code);
      },
    });
    shutdown.add('server', (signal) => stop(signal));
    if (reload) shutdown.onReload(reload);
    shutdown.install();
  });
}

/** `remoteler-server start [--config FILE]`; without --config, the demo. */
export async function startCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(argv, {
    valued: ['config', 'state-dir', 'port', 'listen', 'diag-listen'],
    booleans: [],
  });
  if (positional.length > 0)
    throw new RemotelerError(
      'RMT_SERVER_USAGE',
      `start takes no arguments, got ${JSON.stringify(positional.join(' '))}`,
    );

  if (typeof flags.config === 'string') {
    for (const demoOnly of ['state-dir', 'port', 'listen'])
      if (flags[demoOnly] !== undefined)
        throw new RemotelerError(
          'RMT_SERVER_USAGE',
          `--${demoOnly} is for the demo; with --config, set it in the file`,
        );
    const file = resolve(flags.config);
    const { config: loaded } = await loadServerConfig(file);
    const config =
      typeof flags['diag-listen'] === 'string'
        ? { ...loaded, diag: { listen: flags['diag-listen'] } }
        : loaded;
    const logger = createLogger({ level: config.log.level, format: config.log.format });
    const server = await startServer(config, { baseDir: dirname(file), env: io.env, logger });
    logger.info(
      {
        webUrl: server.webUrl,
        authUrl: server.authUrl,
        diagUrl: server.diagUrl,
        hostCaFingerprints: server.hostCaFingerprints,
      },
      'remoteler-server started',
    );
    return serve(
      logger,
      (signal) => server.close(signal),
      // SIGHUP reads the file again: a broken file is reported and changes nothing.
      async () => {
        const { config: next } = await loadServerConfig(file);
        await server.reload(
          typeof flags['diag-listen'] === 'string'
            ? { ...next, diag: { listen: flags['diag-listen'] } }
            : next,
        );
      },
    );
  }

  // The demo (loaded only here: it brings the simulator and the OpenID provider along).
  const { demoStateDir } = await import('../demo/demo-state.js');
  const { quickStart, startDemo } = await import('../demo/start-demo.js');
  // The demo: logs go to stderr (warnings and up, readable), the quick start to stdout.
  const logger = createLogger({ level: 'warn', format: 'pretty', destination: 2 });
  const port = portFlag(flags.port);
  const demo = await startDemo({
    stateDir: demoStateDir(
      io.env,
      typeof flags['state-dir'] === 'string' ? resolve(flags['state-dir']) : undefined,
    ),
    ...(port === undefined ? {} : { port }),
    ...(typeof flags.listen === 'string' ? { listenHost: flags.listen } : {}),
    ...(typeof flags['diag-listen'] === 'string' ? { diagListen: flags['diag-listen'] } : {}),
    logger,
  });
  io.stdout(quickStart(demo));
  return serve(
    logger,
    (signal) => demo.close(signal),
    () => demo.server.reload(),
  );
}
