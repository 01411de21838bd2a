import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';

/** Options of {@link HeadlessBrowser}. */
export interface HeadlessBrowserOptions {
  /** PEM CA certificates trusted for https pages (replaces the system roots). Default: system roots. */
  readonly ca?: string | readonly string[];
  /**
   * Where to connect for a URL host (as `URL.host` spells it: no default port), like curl's
   * `--resolve`: `{ 'auth.test': '127.0.0.1:45123' }`.
   * The URL, the Host header and the TLS server name keep the original host. Default none.
   */
  readonly resolve?: Readonly<Record<string, string>>;
  /** Most requests one {@link HeadlessBrowser.navigate} may make. Default 25. */
  readonly maxSteps?: number;
}

/** The credentials to type into an OpenID provider's login form. */
export interface FormCredentials {
  readonly login: string;
  readonly password: string;
}

/** Options of {@link HeadlessBrowser.navigate}. */
export interface NavigateOptions {
  /** Stops before requesting a URL for which this returns true, and returns that URL. */
  readonly stopAt: (url: URL) => boolean;
  /** Filled into a login form (`name="login"` / `name="password"`) when one is shown. */
  readonly credentials?: FormCredentials;
}

interface Cookie {
  readonly host: string;
  readonly path: string;
  readonly name: string;
  readonly value: string;
}

interface Page {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number.parseInt(dec, 10)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Errors of a request sent on a kept-alive connection that the server had closed meanwhile. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * A minimal browser for tests: follows redirects, keeps cookies per host and path, and submits
 * the first POST form of an HTML page (filling `login`/`password` fields when asked), which is
 * enough to sign in at oidc-provider's login and consent pages. No JavaScript, no other methods.
 *
 * Like a real browser it keeps connections open per host (keep-alive, TLS sessions resumed) and
 * sends a request again on a new connection when a kept-alive one turns out to have been closed
 * by the server before it answered (what browsers do for a reused connection). {@link close} ends
 * the idle connections; idle ones never keep a process alive.
 */
export class HeadlessBrowser {
  readonly #options: HeadlessBrowserOptions;
  #cookies: Cookie[] = [];
  // Six connections per host, as browsers allow (RFC 9112 §9.4 leaves it to them).
  readonly #httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 6 });
  readonly #httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 6 });
  /** The trusted CAs, parsed once (as a browser loads its roots once), not per connection. */
  readonly #trust: SecureContext | undefined;

  constructor(options: HeadlessBrowserOptions = {}) {
    this.#options = options;
    const ca = options.ca;
    this.#trust = ca ? createSecureContext({ ca: typeof ca === 'string' ? ca : [...ca] }) : undefined;
  }

  /** Closes the browser's connections (idempotent); it may still navigate afterwards, on new ones. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  /** Forgets every cookie (a new browser profile). */
  clearCookies(): void {
    this.#cookies = [];
  }

  /**
   * Opens `url` and keeps following redirects and forms until the next URL satisfies `stopAt`,
   * which it returns without requesting it. Throws on an error page or after `maxSteps` requests.
   */
  async navigate(url: string, options: NavigateOptions): Promise<URL> {
    let next: { url: URL; method: 'GET' | 'POST'; form?: URLSearchParams } = {
      url: new URL(url),
      method: 'GET',
    };
    for (let step = 0; step < (this.#options.maxSteps ?? 25); step += 1) {
      if (options.stopAt(next.url)) return next.url;
      const page = await this.#request(next.url, next.method, next.form);
      if (page.status >= 300 && page.status < 400 && page.location) {
        next = { url: new URL(page.location, next.url), method: 'GET' };
        continue;
      }
      if (page.status === 200) {
        const form = this.#form(page.body, next.url, options.credentials);
        if (form) {
          next = { url: form.action, method: 'POST', form: form.fields };
          continue;
        }
      }
      throw new Error(
        `headless browser: ${next.method} ${next.url.href} answered ${page.status}: ${page.body.slice(0, 500)}`,
      );
    }
    throw new Error('headless browser: too many steps');
  }

  #form(
    html: string,
    base: URL,
    credentials: FormCredentials | undefined,
  ): { action: URL; fields: URLSearchParams } | undefined {
    const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
    if (!match) return undefined;
    const [, formTag = '', inner = ''] = match;
    if ((attribute(formTag, 'method') ?? 'get').toLowerCase() !== 'post') return undefined;
    const fields = new URLSearchParams();
    for (const input of inner.match(/<input\b[^>]*>/gi) ?? []) {
      const name = attribute(input, 'name');
      if (!name) continue;
      if (name === 'login' && credentials) fields.set(name, credentials.login);
      else if (name === 'password' && credentials) fields.set(name, credentials.password);
      else fields.set(name, attribute(input, 'value') ?? '');
    }
    return { action: new URL(attribute(formTag, 'action') ?? base.href, base), fields };
  }

  #cookieHeader(url: URL): string {
    return this.#cookies
      .filter(
        (c) =>
          c.host === url.host &&
          (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  #store(url: URL, setCookie: readonly string[]): void {
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = value === '';
      for (const attr of attributes) {
        const [key = '', val = ''] = attr.split('=');
        if (key.toLowerCase() === 'path' && val.startsWith('/')) path = val;
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      }
      this.#cookies = this.#cookies.filter(
        (c) => !(c.host === url.host && c.path === path && c.name === name),
      );
      if (!expired) this.#cookies.push({ host: url.host, path, name, value });
    }
  }

  async #request(url: URL, method: 'GET' | 'POST', form: URLSearchParams | undefined): Promise<Page> {
    try {
      return await this.#send(url, method, form, true);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        `headless browser: ${method} ${url.origin}${url.pathname}: ${code ?? ''} ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  #send(
    url: URL,
    method: 'GET' | 'POST',
    form: URLSearchParams | undefined,
    mayRetry: boolean,
  ): Promise<Page> {
    const body = form?.toString();
    const target = this.#options.resolve?.[url.host] ?? url.host;
    const [connectHost = '', connectPort = ''] = target.startsWith('[')
      ? [target.slice(1, target.indexOf(']')), target.slice(target.indexOf(']') + 2)]
      : target.split(':');
    const headers: Record<string, string> = { host: url.host, accept: 'text/html,application/json' };
    const cookie = this.#cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const https = url.protocol === 'https:';
    const port = connectPort || url.port || (https ? '443' : '80');
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          this.#store(url, res.headers['set-cookie'] ?? []);
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      };
      const options = {
        host: connectHost,
        port: Number(port),
        method,
        path: `${url.pathname}${url.search}`,
        headers,
        agent: https ? this.#httpsAgent : this.#httpAgent,
      };
      const req = https
        ? httpsRequest(
            {
              ...options,
              // RFC 6066 §3: SNI carries host names only, never an address.
              ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: url.hostname }),
              ...(this.#trust ? { secureContext: this.#trust } : {}),
            },
            onResponse,
          )
        : httpRequest(options, onResponse);
      let answered = false;
      req.once('response', () => {
        answered = true;
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (mayRetry && req.reusedSocket && !answered && STALE_CONNECTION.has(error.code ?? '')) {
          this.#send(url, method, form, false).then(resolve, reject);
          return;
        }
        reject(error);
      });
      req.end(body);
    });
  }
}
