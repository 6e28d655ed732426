// A client for the OCI distribution API (formerly "Docker Registry HTTP API
// v2"), the protocol of Docker Hub, ghcr.io, quay.io and every self-hosted
// registry. Pulling an image needs only two kinds of GET:
//
//   curl -H 'Accept: application/vnd.oci.image.index.v1+json, …' http://HOST/v2/NAME/manifests/TAG
//       → a manifest (JSON: which config and layers make the image), or an
//         index (a list of manifests, one per platform)
//   curl -L http://HOST/v2/NAME/blobs/sha256:…
//       → a config or layer, by digest (the registry may redirect to a CDN)
//
// plus the dance that gets permission first (see authorize()). The HTTP itself
// is Node's built-in fetch (undici).
//
// Content is addressed by digest, so the client never has to trust the
// registry: a manifest asked for by digest is checked here; blobs are checked
// by the content store while they stream to disk.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Credentials } from './credentials.js';
import { RegistryError, Transport, discard, networkCode } from './http.js';
import { DIGEST, MANIFEST_ACCEPT, sha256 } from './oci.js';
import { REPOSITORY, TAG, isRegistryHost } from './reference.js';

export { RegistryError } from './http.js';


export interface ConnectOptions {
  /** false: plain http, for a registry without TLS (default true: https, certificates checked). */
  tlsVerify?: boolean;
  credentials?: Pick<Credentials, 'username' | 'password'>;
}

export interface Manifest {
  mediaType: string;
  /** sha256 of `bytes`, as computed here. */
  digest: string;
  bytes: Buffer;
}

export interface Blob {
  /** The raw bytes, NOT verified: the reader must hash them. */
  stream: Readable;
  size: number | undefined;
}

/** One challenge of a WWW-Authenticate header: `Bearer realm="…",service="…"`. */
export interface Challenge {
  /** Lower case: "bearer", "basic". */
  scheme: string;
  /** Parameter names in lower case, values unquoted. */
  params: Record<string, string>;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

const MAX_MANIFEST_BYTES = 4 << 20; // containerd's limit too: a manifest is a few KiB

/**
 * Where HOST's API lives. Docker Hub's API is not at docker.io but at
 * registry-1.docker.io. https always, except on loopback (a registry you run
 * yourself, as docker does) or when asked (tlsVerify false). With fetch alone,
 * "https without checking the certificate" is not possible (that needs an
 * undici Agent, a dependency), so tlsVerify false means plain http.
 */
export function registryOrigin(host: string, tlsVerify = true): string {
  if (!isRegistryHost(host)) throw new RegistryError(`"${host}" is not a registry host (expected NAME[:PORT], as 127.0.0.1:5000 or quay.io)`);
  const name = host === DOCKER_HUB ? DOCKER_HUB_API : host;
  const hostname = name.startsWith('[') ? name.slice(0, name.indexOf(']') + 1) : name.split(':')[0];
  const plain = !tlsVerify || LOOPBACK.includes(hostname.toLowerCase());
  return `${plain ? 'http' : 'https'}://${name}`;
}

/**
 * Parse a WWW-Authenticate header (RFC 7235) into its challenges. Values may
 * be quoted and contain commas and escaped quotes, so splitting on "," is not
 * enough: `Bearer realm="https://auth.example/token",scope="repository:a:pull,push"`.
 * A header may hold several challenges: `Bearer realm="x", Basic realm="y"`.
 */
export function parseWWWAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let position = 0;
  const take = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = position;
    const match = pattern.exec(header);
    if (match) position = pattern.lastIndex;
    return match?.[1] ?? match?.[0];
  };
  const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
  const QUOTED = /"((?:[^"\\]|\\.)*)"/y;
  const BARE_VALUE = /[^\s,]*/y;
  const SEPARATORS = /[\s,]*/y;
  const SPACES = /\s*/y;
  for (;;) {
    take(SEPARATORS);
    const scheme = take(TOKEN);
    if (scheme === undefined) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      take(SEPARATORS);
      const start = position;
      const name = take(TOKEN);
      take(SPACES);
      // No "=" after the word: it is the scheme of the next challenge.
      if (name === undefined || header[position] !== '=') {
        position = start;
        break;
      }
      position++;
      take(SPACES);
      const quoted = take(QUOTED);
      challenge.params[name.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : take(BARE_VALUE) ?? '';
    }
  }
  return challenges;
}

/** How requests are authorized: a header, and whether it carries the user's credentials. */
interface Authorization {
  header: string;
  kind: 'basic' | 'bearer';
  withCredentials: boolean;
}

interface Request {
  /** What the user asked for, for messages: "127.0.0.1:5000/busybox:latest". */
  subject: string;
  /** The token scope this request needs ("repository:busybox:pull"), '' for none. */
  scope: string;
  accept?: string;
}

export class Registry {
  /** Bearer tokens by scope, kept for the client's life (a pull makes dozens of requests). */
  private readonly http = new Transport();
  private readonly tokens = new Map<string, Authorization>();
  /** Set once the registry asked for HTTP Basic: then every request carries it. */
  private basic: Authorization | undefined;
  /** Whether the registry has answered once (a refused connection is then worth a retry). */

  private constructor(readonly host: string, readonly origin: string, private readonly credentials: ConnectOptions['credentials']) {}

  /** A client for HOST (as the user wrote it: "docker.io", "127.0.0.1:5000"). Opens no connection yet. */
  static connect(host: string, options: ConnectOptions = {}): Registry {
    return new Registry(host, registryOrigin(host, options.tlsVerify ?? true), options.credentials);
  }

  /**
   * GET /v2/ — "do you speak the API, and do you accept me?". With
   * credentials, it checks them (what `cellblock login` does).
   */
  async ping(): Promise<void> {
    const response = await this.get('/v2/', { subject: this.host, scope: '' });
    await discard(response);
  }

  /** The manifest or index that TAG or DIGEST names in REPOSITORY, as bytes. */
  async manifest(repository: string, reference: string): Promise<Manifest> {
    const subject = this.subject(repository, reference);
    const response = await this.get(`/v2/${repository}/manifests/${reference}`, {
      subject,
      scope: pullScope(repository),
      // Without the OCI types listed, registry 2.8 answers 404 MANIFEST_UNKNOWN for an OCI image.
      accept: MANIFEST_ACCEPT.join(', '),
    });
    const bytes = await readManifestBytes(response, subject);
    const digest = sha256(bytes);
    // A digest names exactly one content: bytes that hash otherwise are not what we asked for.
    if (DIGEST.test(reference) && digest !== reference) {
      throw new RegistryError(`${subject}: the registry sent a manifest whose digest is ${digest}: refusing it`);
    }
    return { mediaType: mediaTypeOf(bytes, response, subject), digest, bytes };
  }

  /** A blob (config or layer) by digest, as a stream of unverified bytes. */
  async blob(repository: string, digest: string): Promise<Blob> {
    const subject = this.subject(repository, digest);
    if (!DIGEST.test(digest)) throw new RegistryError(`${subject}: not a sha256 digest`);
    const response = await this.get(`/v2/${repository}/blobs/${digest}`, { subject, scope: pullScope(repository) });
    const length = response.headers.get('content-length');
    const body = response.body as unknown as WebReadableStream<Uint8Array> | null;
    return { stream: body ? Readable.fromWeb(body) : Readable.from([]), size: length === null ? undefined : Number(length) };
  }

  private subject(repository: string, reference: string): string {
    const subject = `${this.host}/${repository}${DIGEST.test(reference) ? '@' : ':'}${reference}`;
    if (!REPOSITORY.test(repository)) throw new RegistryError(`${subject}: "${repository}" is not a valid repository name (lower case letters, digits, . _ - and /)`);
    if (!TAG.test(reference) && !DIGEST.test(reference)) throw new RegistryError(`${subject}: "${reference}" is neither a tag nor a sha256 digest`);
    return subject;
  }

  /**
   * GET PATH, authorizing as the registry asks. The first try carries what
   * worked before for this scope (or nothing); a 401 says how to authorize in
   * its WWW-Authenticate header, and we try once more with that. A cached
   * token that expired ends the same way: 401, a new token, a retry.
   */
  private async get(path: string, request: Request): Promise<Response> {
    const url = new URL(path, this.origin);
    let authorization = this.basic ?? this.tokens.get(request.scope);
    let response = await this.http.fetch(url, headers(request.accept, authorization));
    if (response.status === 401) {
      const challenge = response.headers.get('www-authenticate');
      await discard(response);
      authorization = await this.authorize(challenge, request);
      response = await this.http.fetch(url, headers(request.accept, authorization));
    }
    if (!response.ok) throw await this.errorFrom(response, request.subject, authorization);
    return response;
  }

  /**
   * Answer a 401's challenge:
   *  - `Basic realm="…"`: send "Authorization: Basic base64(user:password)" with every request;
   *  - `Bearer realm="URL",service="S",scope="repository:NAME:pull"`: ask URL for a token,
   *    `curl -u USER:PASS 'URL?service=S&scope=repository:NAME:pull'` → {"token": "…"}
   *    (anonymously without credentials: public images get a token too), then
   *    send "Authorization: Bearer TOKEN". The token is a signed statement
   *    "this caller may pull NAME" that the registry checks without calling back.
   */
  private async authorize(header: string | null, request: Request): Promise<Authorization> {
    const challenges = parseWWWAuthenticate(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const token = await this.token(bearer, request);
      this.tokens.set(request.scope, token);
      return token;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!this.credentials) throw this.loginNeeded(request.subject);
      const { username, password } = this.credentials;
      this.basic = { header: `Basic ${base64(`${username}:${password}`)}`, kind: 'basic', withCredentials: true };
      return this.basic;
    }
    throw new RegistryError(`${request.subject}: the registry wants an authentication cellblock does not know (401, WWW-Authenticate: ${header ?? 'missing'})`, 401);
  }

  private async token(challenge: Challenge, request: Request): Promise<Authorization> {
    const realm = parseRealm(challenge.params.realm, request.subject);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    // The registry's scope (what it checks) wins over our guess of it.
    for (const scope of (challenge.params.scope ?? request.scope).split(' ').filter(Boolean)) realm.searchParams.append('scope', scope);
    const response = await this.http.fetch(realm, this.credentials ? { authorization: `Basic ${base64(`${this.credentials.username}:${this.credentials.password}`)}` } : {});
    if (response.status === 401 || response.status === 403) {
      await discard(response);
      if (!this.credentials) throw this.loginNeeded(request.subject);
      throw new RegistryError(`${request.subject}: unauthorized: incorrect username or password (${response.status})`, response.status);
    }
    if (!response.ok) {
      await discard(response);
      throw new RegistryError(`${request.subject}: the token server ${realm.host} answered ${response.status} ${response.statusText}`, response.status);
    }
    const body = (await response.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' ? body.token : body.access_token; // the spec allows either name
    if (typeof token !== 'string' || token === '') throw new RegistryError(`${request.subject}: the token server ${realm.host} sent no token`);
    return { header: `Bearer ${token}`, kind: 'bearer', withCredentials: this.credentials !== undefined };
  }

  private loginNeeded(subject: string): RegistryError {
    return new RegistryError(`${subject}: unauthorized: authentication required (401) — cellblock login ${this.host}`, 401, 'UNAUTHORIZED');
  }

  /** A failed answer as a one-line error, using the registry's own error code when it sent one. */
  private async errorFrom(response: Response, subject: string, authorization: Authorization | undefined): Promise<RegistryError> {
    const { code, message } = await registryErrorOf(response);
    const status = response.status;
    if (status === 404) return new RegistryError(`${subject}: not found (404${code ? ` ${code}` : ''})`, status, code);
    if (status === 401 && authorization?.kind === 'basic') {
      return new RegistryError(`${subject}: unauthorized: incorrect username or password (401)`, status, code);
    }
    if ((status === 401 || status === 403) && !authorization?.withCredentials) {
      return new RegistryError(`${subject}: unauthorized: ${message ?? 'authentication required'} (${status}) — cellblock login ${this.host}`, status, code);
    }
    if (status === 401 || status === 403) {
      return new RegistryError(`${subject}: access denied (${status}): it does not exist, or ${this.credentials!.username} may not read it`, status, code);
    }
    if (status === 429) return new RegistryError(`${subject}: too many requests (429) — wait and try again`, status, code);
    return new RegistryError(`${subject}: ${message ?? (response.statusText || 'request failed')} (${status}${code ? ` ${code}` : ''})`, status, code);
  }

}



function headers(accept: string | undefined, authorization: Authorization | undefined): Record<string, string> {
  return { ...(accept ? { accept } : {}), ...(authorization ? { authorization: authorization.header } : {}) };
}

/** The scope a token must grant to read REPOSITORY. */
const pullScope = (repository: string) => `repository:${repository}:pull`;

const base64 = (text: string) => Buffer.from(text).toString('base64');

function parseRealm(realm: string | undefined, subject: string): URL {
  try {
    const url = new URL(realm ?? '');
    if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  } catch {
    // reported below
  }
  throw new RegistryError(`${subject}: the registry's token realm "${realm ?? ''}" is not an http(s) URL`);
}

/** The body's first `{"errors":[{"code":…,"message":…}]}` entry, if it has one. */
async function registryErrorOf(response: Response): Promise<{ code?: string; message?: string }> {
  try {
    const body = JSON.parse(await response.text()) as { errors?: { code?: unknown; message?: unknown }[] };
    const [first] = body.errors ?? [];
    return {
      code: typeof first?.code === 'string' ? first.code : undefined,
      message: typeof first?.message === 'string' ? first.message : undefined,
    };
  } catch {
    return {};
  }
}

async function readManifestBytes(response: Response, subject: string): Promise<Buffer> {
  if (Number(response.headers.get('content-length') ?? 0) > MAX_MANIFEST_BYTES) {
    await discard(response);
    throw new RegistryError(`${subject}: the manifest is larger than ${MAX_MANIFEST_BYTES >> 20} MiB: refusing it`);
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new RegistryError(`${subject}: the connection broke while reading the manifest (${networkCode(error)})`);
  }
  if (bytes.length > MAX_MANIFEST_BYTES) throw new RegistryError(`${subject}: the manifest is larger than ${MAX_MANIFEST_BYTES >> 20} MiB: refusing it`);
  return bytes;
}

/**
 * The manifest's type: its own "mediaType" field (the OCI spec asks for it
 * since image-spec 1.0.2), else the Content-Type the registry sent.
 */
function mediaTypeOf(bytes: Buffer, response: Response, subject: string): string {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RegistryError(`${subject}: the registry sent something that is not a manifest (not JSON)`);
  }
  const field = (body as { mediaType?: unknown } | null)?.mediaType;
  if (typeof field === 'string' && field !== '') return field;
  const header = response.headers.get('content-type')?.split(';')[0].trim();
  if (header) return header;
  throw new RegistryError(`${subject}: the manifest has no media type (no mediaType field, no Content-Type)`);
}

