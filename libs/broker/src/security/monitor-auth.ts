import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readKeyText } from '@zmq-mq/protocol';
import { TokenFileError } from '../errors';
import { readBody } from '../http-body';

/** Shortest monitor token accepted (characters): `openssl rand -hex 32` gives 64. */
export const MIN_TOKEN_CHARS = 16;
/** The cookie the login form sets, standing for the token in a browser. */
export const MONITOR_COOKIE = 'zmqmq_monitor';
/** How long a login lasts (s): 12 hours. */
export const SESSION_MAX_AGE_S = 12 * 60 * 60;
/** Largest login form body read (bytes). */
export const MAX_LOGIN_BODY_BYTES = 4096;

/**
 * The monitor's token from `path`: its first line, trimmed; at least MIN_TOKEN_CHARS printable
 * characters. Throws `TokenFileError`.
 */
export function readMonitorToken(path: string): string {
  let text: string;
  try {
    text = readKeyText(path, 64 * 1024);
  } catch (err) {
    throw new TokenFileError(path, (err as Error).message.replace(`${path}: `, ''), { cause: err });
  }
  const token = (text.split(/\r?\n/)[0] ?? '').trim();
  if (token.length < MIN_TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw new TokenFileError(
      path,
      `its first line must be a token of at least ${MIN_TOKEN_CHARS} printable characters without spaces (openssl rand -hex 32 > FILE makes one)`,
    );
  }
  return token;
}

/**
 * Whether `given` equals `expected`, in time that depends on neither: both are hashed to 32
 * bytes first (so their lengths cannot differ), then compared with `timingSafeEqual`.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Whether a request may go on: `ok`, or why not. */
export type AuthResult = 'ok' | 'missing' | 'wrong' | 'no-token';

/** The value of cookie `name` in a Cookie header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * Who may use the monitor. With a token (`--monitor-token-file`), a request carries it as
 * `Authorization: Bearer TOKEN` (scripts, Prometheus) or as the session cookie the login form
 * sets (a browser: an EventSource cannot send a header). The cookie is `EXPIRY.MAC`, an HMAC
 * of its expiry keyed by the token: nothing is kept on the broker, it outlives a restart with
 * the same token, and a new token voids it. It is HttpOnly (no script reads it) and
 * SameSite=Strict (no other site's page sends it, so no other site can replay or purge).
 * Every comparison is constant-time. Without a token nothing authenticates.
 */
export class MonitorAuth {
  constructor(
    private readonly token: string | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the monitor has a token: then every request needs it. */
  get required(): boolean {
    return this.token !== null;
  }

  /** Whether `req` carries the token, as a bearer header or the session cookie. */
  check(req: IncomingMessage): AuthResult {
    if (this.token === null) return 'no-token';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) return tokensEqual(bearer, this.token) ? 'ok' : 'wrong';
    const cookie = cookieValue(req.headers.cookie, MONITOR_COOKIE);
    if (cookie === undefined) return 'missing';
    return this.sessionValid(cookie) ? 'ok' : 'wrong';
  }

  /** The Set-Cookie header of a new session. */
  sessionCookie(): string {
    const expiry = Math.floor(this.now() / 1000) + SESSION_MAX_AGE_S;
    return `${MONITOR_COOKIE}=${expiry}.${this.mac(expiry)}; Max-Age=${SESSION_MAX_AGE_S}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /**
   * POST /login: a form body `token=…`. The right token sets the session cookie and goes to
   * `/` (303); a wrong one answers 401 with the form again.
   */
  login(req: IncomingMessage, res: ServerResponse, refused: () => void): void {
    readBody(req, MAX_LOGIN_BODY_BYTES).then(
      (body) => {
        const given = new URLSearchParams(body).get('token') ?? '';
        if (this.token !== null && tokensEqual(given, this.token)) {
          res.writeHead(303, { location: '/', 'set-cookie': this.sessionCookie() }).end();
          return;
        }
        refused();
        sendLoginPage(
          res,
          401,
          this.token === null ? 'This monitor has no token.' : 'Wrong token.',
        );
      },
      (err: Error & { status?: number }) => {
        res.writeHead(err.status ?? 400, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
      },
    );
  }

  private sessionValid(cookie: string): boolean {
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(cookie);
    if (m === null) return false;
    const expiry = Number(m[1]);
    const macOk = tokensEqual(m[2] as string, this.mac(expiry));
    return macOk && expiry * 1000 > this.now();
  }

  private mac(expiry: number): string {
    return createHmac('sha256', this.token ?? '')
      .update(`zmq-mq monitor session ${expiry}`)
      .digest('base64url');
  }
}

/** The login page: one form, no script, nothing from elsewhere. */
export function sendLoginPage(res: ServerResponse, status: number, note = ''): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>zmq-mq monitor: sign in</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}input,button{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;margin:.3rem 0}</style></head>
<body><h1>zmq-mq monitor</h1>
<p>This monitor asks for its token (the first line of the broker's <code>--monitor-token-file</code>).</p>
${note === '' ? '' : `<p role="alert"><strong>${note}</strong></p>`}
<form method="post" action="/login"><label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button></form></body></html>
`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    ...(status === 401 ? { 'www-authenticate': 'Bearer realm="zmq-mq monitor"' } : {}),
  });
  res.end(html);
}
