import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { execForm, isIgnored, parseDockerfile, type Stage } from './support/dockerfile.js';
import { BASE_DIR, containers, kustomize, ofKind, REPO_ROOT } from './support/manifests.js';

// No Docker engine runs here, so the image is checked where it is decided: the Dockerfile's stages,
// its final user and entry point, what it copies, and what .dockerignore keeps out of the context.

let dockerfile: ReturnType<typeof parseDockerfile>;
let dockerignore: string;
let final: Stage;
let build: Stage;

beforeAll(async () => {
  dockerfile = parseDockerfile(await readFile(`${REPO_ROOT}Dockerfile`, 'utf8'));
  dockerignore = await readFile(`${REPO_ROOT}.dockerignore`, 'utf8');
  final = dockerfile.stages.at(-1)!;
  build = dockerfile.stages[0]!;
});

const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

describe('Dockerfile', () => {
  it('builds in one stage (npm ci, npm run build) and runs from a second, slim Node 20+ stage', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    const runs = of(build, 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    // The engines field of every package says >=20.19; the official image's major is the floor.
    const image = /^node:(\d+)[\w.-]*-slim$/.exec(final.image);
    expect(image, `final base image ${final.image}`).not.toBeNull();
    expect(Number(image![1])).toBeGreaterThanOrEqual(20);
    expect(final.name).not.toBe(build.name);
  });

  it('runs as a numeric, non-root user, so that runAsNonRoot can verify it', () => {
    const users = of(final, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    const [uid, gid] = user.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    if (gid !== undefined) expect(gid).toBeGreaterThan(0);
  });

  it('uses the same uid as the manifests, which set runAsUser explicitly', async () => {
    const uid = Number(of(final, 'USER').at(-1)!.args.split(':')[0]);
    const { objects } = await kustomize(BASE_DIR);
    for (const deployment of ofKind(objects, 'Deployment'))
      expect(deployment.spec.template.spec.securityContext.runAsUser).toBe(uid);
  });

  it('starts remoteler-server from the built bin, in exec form (signals reach node as PID 1)', async () => {
    const entry = execForm(of(final, 'ENTRYPOINT').at(-1)!.args);
    expect(entry).toEqual(['remoteler-server']);
    const pkg = JSON.parse(await readFile(`${REPO_ROOT}examples/reference-server/package.json`, 'utf8'));
    const bin = String(pkg.bin['remoteler-server']).replace(/^\.\//, '');
    const link = of(final, 'RUN').find((i) => i.args.includes('/usr/local/bin/remoteler-server'));
    expect(link?.args).toContain(`/app/examples/reference-server/${bin}`);
    expect(execForm(of(final, 'CMD').at(-1)!.args)?.[0]).toBe('start');
  });

  it('copies nothing from the build context into the final image, and no secrets anywhere', () => {
    expect(of(final, 'ADD')).toHaveLength(0);
    for (const copy of of(final, 'COPY')) expect(copy.args).toMatch(/^--from=\S+\s/);
    for (const stage of dockerfile.stages) {
      for (const i of stage.instructions) {
        if (i.keyword === 'COPY' || i.keyword === 'ADD')
          expect(i.args, `line ${i.line}`).not.toMatch(
            /\.pem\b|\.key\b|\.env\b|\.npmrc|id_rsa|kubeconfig|\.remoteler/,
          );
        if (i.keyword === 'ENV' || i.keyword === 'ARG')
          expect(i.args, `line ${i.line}`).not.toMatch(/TOKEN|SECRET|PASSWORD|PRIVATE|_KEY\b|NPM_AUTH/i);
        if (i.keyword === 'RUN')
          expect(i.args, `line ${i.line}`).not.toMatch(/--mount=type=secret|curl|wget/);
      }
    }
  });

  it('exposes the ports the manifests use (web, auth, diag)', async () => {
    const exposed = of(final, 'EXPOSE').flatMap((i) =>
      i.args.split(/\s+/).map((p) => Number(p.split('/')[0])),
    );
    const { objects } = await kustomize(BASE_DIR);
    const ports = ofKind(objects, 'Deployment').flatMap((d) =>
      containers(d).flatMap((c) => c.ports.map((p: { containerPort: number }) => p.containerPort)),
    );
    expect([...new Set(ports)].sort()).toEqual([...exposed].sort());
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, history, build output, local state and key material out of the context', () => {
    for (const path of [
      'node_modules/undici/package.json',
      'packages/proxy/node_modules/.bin/x',
      '.git/config',
      'packages/core/dist/index.js',
      '.remoteler-state/ca/host-ca.key',
      'examples/reference-server/.remoteler-state/users.yaml',
      'ca.pem',
      'deploy/kubernetes/base/auth.yaml',
      'examples/reference-server/.env',
      'secrets/admin.kubeconfig',
      '.npmrc',
    ])
      expect(isIgnored(dockerignore, path), path).toBe(true);
  });

  it('keeps every file the build stage needs: manifests, lock file, sources and build scripts', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n');
    const needed = tracked.filter(
      (f) =>
        /^(package\.json|package-lock\.json|tsconfig\.base\.json)$/.test(f) ||
        /^scripts\//.test(f) ||
        /^(packages|examples)\/[^/]+\/(package\.json|tsconfig\.json|tsup\.config\.ts)$/.test(f) ||
        /^(packages|examples)\/[^/]+\/(src|schema)\//.test(f),
    );
    expect(needed.length).toBeGreaterThan(50);
    expect(needed.filter((f) => isIgnored(dockerignore, f))).toEqual([]);
    // And the build stage copies them in.
    const copied = of(build, 'COPY').map((i) => i.args);
    for (const source of [
      'package.json',
      'package-lock.json',
      'packages/',
      'examples/',
      'scripts/',
      'tsconfig.base.json',
    ])
      expect(
        copied.some((c) => c.split(/\s+/).slice(0, -1).includes(source)),
        source,
      ).toBe(true);
  });

  it('follows Docker pattern rules: ** across folders, parent folders, and ! exceptions', () => {
    expect(isIgnored('**/dist', 'a/b/dist/x.js')).toBe(true);
    expect(isIgnored('dist', 'a/dist/x.js')).toBe(false);
    expect(isIgnored('*.md', 'docs/x.md')).toBe(false);
    expect(isIgnored('**/*.md\n!README.md', 'README.md')).toBe(false);
    expect(isIgnored('/build/', 'build/out/a')).toBe(true);
  });
});
