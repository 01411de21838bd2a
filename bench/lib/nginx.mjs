// nginx as the benchmark's baseline: an mTLS reverse proxy in front of the Kubernetes API simulator
// that does what the Remoteler Proxy does on the wire (verifies the client certificate against the
// user CA, takes the username from its CN, sets the impersonation headers and its own bearer token).
// Never the system service: a private prefix, config, pid file and logs in a temporary directory,
// listening on 127.0.0.1 only, stopped by the suite.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { childPids } from './proc-stats.mjs';

/** Where Debian's `nginx` package puts the binary. */
export const NGINX_BINARY = '/usr/sbin/nginx';

/** True when the nginx baseline can run; otherwise the suite prints how to install it. */
export function nginxAvailable() {
  return existsSync(NGINX_BINARY);
}

/** A free 127.0.0.1 port (asked from the kernel, then released for nginx to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function hardOpenFileLimit() {
  const match = /^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return match ? Number(match[1]) : 4096;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Writes the configuration under `dir` and starts nginx in the foreground (`daemon off`, master and
 * one worker). `files` holds PEM paths: `cert`, `key` (listener), `userCa` (client trust), `upstreamCa`.
 * @returns `{ port, masterPid, workerPid, errorLog, stop() }`, resolved once the worker runs and the
 *   port accepts connections (polled, 10 s max).
 */
export async function startNginx({ dir, files, upstreamPort, token, groups }) {
  const prefix = join(dir, 'nginx');
  mkdirSync(prefix, { recursive: true });
  const port = await freePort();
  const noFile = Math.min(65536, hardOpenFileLimit());
  // One proxy_set_header line per group: nginx sends each line as its own field, and the API server
  // reads each Impersonate-Group field line as one group (k8s-protocols §10.1).
  const groupLines = groups.map((g) => `      proxy_set_header Impersonate-Group "${g}";`).join('\n');
  const config = `daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile ${noFile};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections ${noFile - 100}; }
http {
  access_log off;
  # Room for the impersonation headers without nginx's startup warning about its header hash.
  proxy_headers_hash_bucket_size 128;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  # The username is the certificate's CN, as the Proxy's identity decoder reads it.
  map $ssl_client_s_dn $remoteler_user {
    "~(^|,)CN=(?<cn>[^,]+)" $cn;
    default "";
  }
  upstream kube {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${files.cert};
    ssl_certificate_key ${files.key};
    ssl_client_certificate ${files.userCa};
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    # Every new connection is a full handshake, as the Proxy's benchmark client makes them.
    ssl_session_cache off;
    ssl_session_tickets off;
    location / {
      if ($remoteler_user = "") { return 401; }
      proxy_pass https://kube;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${token}";
      proxy_set_header Impersonate-User $remoteler_user;
${groupLines}
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_ssl_trusted_certificate ${files.upstreamCa};
      proxy_ssl_verify on;
      # nginx 1.22 matches the upstream certificate with X509_check_host only (DNS names, never an
      # IP SAN), so it checks the simulator's DNS:localhost rather than IP:127.0.0.1.
      proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
      # Watches must stream, as through the Proxy.
      proxy_buffering off;
      proxy_read_timeout 3600s;
    }
  }
}
`;
  const configFile = join(prefix, 'nginx.conf');
  writeFileSync(configFile, config);
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${noFile}; exec ${NGINX_BINARY} -p '${prefix}/' -c '${configFile}' -e '${prefix}/error.log'`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let ready = false;
  child.once('exit', () => {
    ready = false;
  });
  let workerPid;
  // The master listens before it forks the worker: ready means both.
  for (let i = 0; i < 200 && child.exitCode === null; i++) {
    workerPid = childPids(child.pid)[0];
    if (workerPid !== undefined && (await canConnect(port))) {
      ready = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!ready) {
    child.kill('SIGKILL');
    const log = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
    throw new Error(`nginx did not start:\n${log}`);
  }
  return {
    port,
    masterPid: child.pid,
    workerPid,
    errorLog: join(prefix, 'error.log'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM is nginx's fast shutdown (master and workers).
      child.kill('SIGTERM');
      await exited;
    },
  };
}
