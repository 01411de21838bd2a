import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { RemotelerError } from '@remoteler/core';
import { loadServerConfig } from '../config/load-config.js';
import { resolvePath } from '../server/config-files.js';
import { openAuthorities } from '../server/open-authorities.js';
import { parseArgs } from './parse-args.js';
import type { CliIo } from './run-cli.js';

const STEPS = ['start', 'switch', 'finish'] as const;

/**
 * `remoteler-server ca status|rotate start|switch|finish --config FILE [--ca user|host|both]`:
 * works on the CA directory the configuration names (atomic writes, so a running server is never
 * left with half a file). A running server follows on SIGHUP (or at its next start).
 */
export async function caCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(argv, { valued: ['config', 'ca'], booleans: ['json'] });
  const [action, step] = positional;
  const rotate = action === 'rotate' && STEPS.includes(step as (typeof STEPS)[number]);
  if (!(action === 'status' && step === undefined) && !(rotate && positional.length === 2))
    throw new RemotelerError(
      'RMT_SERVER_USAGE',
      'use: remoteler-server ca status --config FILE, or ca rotate start|switch|finish --config FILE [--ca user|host|both]',
    );
  if (typeof flags.config !== 'string')
    throw new RemotelerError('RMT_SERVER_USAGE', 'ca commands need --config FILE (to find auth.ca_dir)');
  const which = flags.ca ?? 'both';
  if (which !== 'user' && which !== 'host' && which !== 'both')
    throw new RemotelerError(
      'RMT_SERVER_USAGE',
      `--ca must be user, host or both, got ${JSON.stringify(which)}`,
    );

  const file = resolve(flags.config);
  const { config } = await loadServerConfig(file);
  if (!config.auth)
    throw new RemotelerError(
      'RMT_SERVER_USAGE',
      `${file} has no auth section: only an Auth server holds CAs`,
    );
  const context = { baseDir: dirname(file), env: io.env };
  const caDir = resolvePath(
    context,
    config.auth.ca_dir ?? join(resolvePath(context, config.state_dir), 'ca'),
  );
  // Rotating CAs that do not exist yet would quietly create them: refuse instead.
  try {
    await access(join(caDir, 'user-ca.json'));
    await access(join(caDir, 'host-ca.json'));
  } catch (error) {
    throw new RemotelerError('RMT_SERVER_STATE_DIR_UNUSABLE', `there are no CAs in ${caDir}`, {
      hint: 'Start the Auth server once (it creates them), or fix auth.ca_dir / state_dir.',
      cause: error,
      details: { path: caDir },
    });
  }
  const { userCa, hostCa } = await openAuthorities(caDir, config.cluster_name);
  const chosen = which === 'both' ? [userCa, hostCa] : which === 'user' ? [userCa] : [hostCa];
  for (const ca of rotate ? chosen : []) {
    if (step === 'start') await ca.startRotation();
    else if (step === 'switch') await ca.switchSigning();
    else await ca.finishRotation();
  }
  const report = [userCa, hostCa].map((ca) => ({
    ca: ca.kind,
    ...ca.rotationStatus(),
    fingerprints: ca.trustedCas().map((t) => t.fingerprint),
  }));
  if (flags.json) io.stdout(`${JSON.stringify(report)}\n`);
  else
    for (const r of report)
      io.stdout(
        `${r.ca} CA: phase ${r.phase}, signing ${r.signingCaId}, trusted ${r.fingerprints.join(' ')}\n`,
      );
  if (rotate)
    io.stdout(
      'Send SIGHUP to running Auth servers (kill -HUP PID) so they follow; Proxies in other processes follow at their next host certificate renewal.\n',
    );
  return 0;
}
