// HTTP for the registry client: one GET, with what the network needs around
// it — a deadline for the answer, redirects followed by hand (so credentials
// never travel to another origin), retries of transient failures, and errors
// a person can act on. The protocol itself is in registry.ts.

/** A failure to show the user as it is: one line, naming what failed and what to do. */
export class RegistryError extends Error {
  override name = 'RegistryError';

  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
  }
}

/** Answers worth asking again: rate limited, or a server or proxy having a bad moment. */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Connection failures worth a retry (ECONNREFUSED too, once the registry has answered). */
const RETRY_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
const RETRIES = 3;
const BACKOFF_MS = 200; // then 400, 800
const HEADERS_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A client's connection to one registry: remembers whether it ever answered. */
export class Transport {
  /** Whether the registry has answered once: a refused connection after that is a hiccup, not "nobody there". */
  private reached = false;

  /**
   * fetch with retries: a transient failure (a reset connection, 503 from a
   * proxy, 429 rate limiting) is tried again up to 3 times, 200, 400 then 800
   * ms later. A 4xx is an answer, not an accident: never retried. A refused
   * connection before the registry ever answered means nothing listens there:
   * said at once.
   */
  async fetch(url: URL, requestHeaders: Record<string, string>): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await followRedirects(url, requestHeaders);
        this.reached = true;
        if (!RETRY_STATUSES.has(response.status) || attempt === RETRIES) return response;
        await discard(response);
      } catch (error) {
        if (!(error instanceof ConnectionFailure)) throw error;
        const transient = RETRY_CODES.has(error.code) || (error.code === 'ECONNREFUSED' && this.reached);
        if (!transient || attempt === RETRIES) throw connectionError(error);
      }
      await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** attempt));
    }
  }
}

/**
 * Follow redirects ourselves (fetch's redirect: 'manual'), because where the
 * Authorization header may go is a security decision: blobs are often
 * redirected to a CDN or an S3 URL that carries its own signature in the
 * query string. Our token must not travel to that other origin (and S3
 * rejects a request with two authentications anyway).
 */
async function followRedirects(start: URL, requestHeaders: Record<string, string>): Promise<Response> {
  let url = start;
  let sent = requestHeaders;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await fetchHeaders(url, sent);
    const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
    if (location === null) return response;
    await discard(response);
    const next = new URL(location, url);
    if (url.protocol === 'https:' && next.protocol !== 'https:') {
      throw new RegistryError(`${url.host}: redirected to ${next.protocol}//${next.host}, which is not https: refusing`);
    }
    if (next.origin !== url.origin) {
      const { authorization: _dropped, ...others } = sent;
      sent = others;
    }
    url = next;
  }
  throw new RegistryError(`${start.host}: more than ${MAX_REDIRECTS} redirects for ${start.pathname}`);
}

/** A network failure, by the host we were talking to and its error code. */
class ConnectionFailure extends Error {
  constructor(readonly host: string, readonly code: string) {
    super(`${host}: ${code}`);
  }
}

/**
 * One fetch, with a deadline for the answer's headers (not for the body: a
 * large layer may take minutes). undici's own errors ("fetch failed") say
 * nothing; the code that says something is in their `cause`.
 */
async function fetchHeaders(url: URL, requestHeaders: Record<string, string>): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), HEADERS_TIMEOUT_MS);
  try {
    return await fetch(url, { headers: requestHeaders, redirect: 'manual', signal: controller.signal });
  } catch (error) {
    throw new ConnectionFailure(url.host, networkCode(error));
  } finally {
    clearTimeout(timer);
  }
}

export function networkCode(error: unknown): string {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    if (cause.message === 'bad port') return 'BAD_PORT'; // fetch refuses some ports (6000, 10080…) outright
    if (cause instanceof AggregateError && cause.errors[0] instanceof Error) return networkCode(cause.errors[0]);
  }
  return 'UNKNOWN';
}

function connectionError({ host, code }: ConnectionFailure): RegistryError {
  if (code === 'ECONNREFUSED') return new RegistryError(`${host}: cannot connect (ECONNREFUSED)`, undefined, code);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RegistryError(`${host}: unknown host (${code})`, undefined, code);
  if (code === 'ETIMEDOUT') return new RegistryError(`${host}: no answer within ${HEADERS_TIMEOUT_MS / 1000} s (ETIMEDOUT)`, undefined, code);
  if (code === 'BAD_PORT') return new RegistryError(`${host}: fetch refuses to connect to this port (a "bad port" of the fetch standard)`, undefined, code);
  if (/SSL|TLS|CERT|SELF_SIGNED|UNABLE_TO/.test(code)) {
    return new RegistryError(`${host}: TLS failed (${code}) — for a registry without TLS, use --tls-verify=false`, undefined, code);
  }
  return new RegistryError(`${host}: connection failed (${code})`, undefined, code);
}

/** Let go of a body we do not read (undici keeps the connection busy until then). */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}
