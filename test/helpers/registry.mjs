// A real OCI registry for tests: Debian's docker-registry (the CNCF
// "distribution" project, version 2.8), started on 127.0.0.1 with a config we
// write, so cellblock's client talks to the same server code as Docker Hub's
// and most self-hosted registries do. Nothing here leaves the loopback.
//
//   const registry = await startRegistry({ auth: 'token' });
//   // push with test/helpers/images.mjs, pull with src/image/registry.ts…
//   await registry.stop();
//
// Three ways to guard it, as in the wild:
//   none      anyone may pull and push (a private lab registry)
//   htpasswd  HTTP Basic: every request carries "Authorization: Basic base64(user:pass)"
//   token     the Docker Hub way: the registry answers 401 with
//             `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`, the client
//             asks the realm (a separate token server, here one in this process)
//             for a JWT, and retries with "Authorization: Bearer <jwt>". The
//             registry trusts a token because it is signed by a key whose
//             certificate is in its `rootcertbundle`.
import { execFile, spawn } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REGISTRY = '/usr/bin/docker-registry';
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const SERVICE = 'cellblock-test-registry';
const ISSUER = 'cellblock-test-token-issuer';
const USER = 'cellblock';

const execFileAsync = promisify(execFile);

/**
 * Start a registry. Resolves once it listens:
 * `{ host: '127.0.0.1:PORT', user, password, storageDir, blobPath(digest), tokenRequests, log(), stop() }`.
 * `auth`: 'none' | 'htpasswd' | 'token'; `anonymousPull` (token only): the
 * token server grants "pull" to requests without credentials.
 */
export async function startRegistry({ auth = 'none', anonymousPull = false } = {}) {
  if (!['none', 'htpasswd', 'token'].includes(auth)) throw new Error(`startRegistry: unknown auth "${auth}"`);
  if (!existsSync(REGISTRY)) throw new Error(`${REGISTRY} not found: apt-get install docker-registry`);
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-registry-'));
  const password = randomBytes(9).toString('base64url');
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const tokenServer = auth === 'token' ? await startTokenServer({ dir, password, anonymousPull }) : undefined;
    if (tokenServer) cleanups.push(() => tokenServer.close());
    const authConfig = auth === 'htpasswd' ? await htpasswdConfig(dir, password) : auth === 'token' ? tokenConfig(tokenServer) : '';
    const storageDir = join(dir, 'storage');
    const server = await serveOnFreePort(dir, storageDir, authConfig);
    cleanups.push(() => server.kill());
    return {
      host: server.host,
      user: USER,
      password,
      storageDir,
      /** Where the registry keeps a blob's bytes (a test may overwrite them to corrupt it). */
      blobPath: (digest) => join(storageDir, 'docker/registry/v2/blobs', ...blobPathParts(digest), 'data'),
      /** What the token server was asked for and granted, in order (token auth only). */
      tokenRequests: tokenServer?.requests ?? [],
      /** The registry's log so far (useful in an assertion message). */
      log: () => server.log(),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function blobPathParts(digest) {
  const [algorithm, hex] = digest.split(':');
  return [algorithm, hex.slice(0, 2), hex];
}

// The registry's own config: storage in our temp dir, an address of ours, no
// background jobs. Debian's /etc/docker/registry/config.yml turns htpasswd on
// (every request would be 401), so it is never used.
function registryConfig(storageDir, port, authConfig) {
  return `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storageDir}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  # a fixed secret: without one the registry makes a random one and warns about it
  secret: cellblock-test-secret
${authConfig}`;
}

// bcrypt is the only hash distribution's htpasswd accepts (htpasswd -B).
async function htpasswdConfig(dir, password) {
  const { stdout } = await run('htpasswd', ['-Bbn', USER, password]);
  const file = join(dir, 'htpasswd');
  writeFileSync(file, stdout.trim() + '\n');
  return `auth:
  htpasswd:
    realm: cellblock-test
    path: ${file}
`;
}

function tokenConfig(tokenServer) {
  return `auth:
  token:
    realm: ${tokenServer.realm}
    service: ${SERVICE}
    issuer: ${ISSUER}
    rootcertbundle: ${tokenServer.certificateFile}
`;
}

/**
 * Pick a free port by binding port 0, then start the registry there. Another
 * process may take the port between our close and the registry's bind: the
 * registry then exits with "address already in use", and we try another.
 */
async function serveOnFreePort(dir, storageDir, authConfig) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const configFile = join(dir, 'config.yml');
    writeFileSync(configFile, registryConfig(storageDir, port, authConfig));
    try {
      return await serve(configFile, port);
    } catch (error) {
      if (!/address already in use/.test(error.message) || attempt === 3) throw error;
    }
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Run `docker-registry serve CONFIG` and resolve when it logs
 * `msg="listening on 127.0.0.1:PORT"` (an event, not a guess of how long it
 * takes). `setpriv --pdeathsig KILL` makes the kernel kill it if this test
 * process dies without calling stop(): no registry outlives its test.
 */
function serve(configFile, port) {
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', REGISTRY, 'serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let log = '';
  const server = {
    host: `127.0.0.1:${port}`,
    log: () => log,
    kill: () => stopChild(child).finally(() => process.off('exit', killOnExit)),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`docker-registry did not listen on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms: ${lastLine(log)}`)), READY_TIMEOUT_MS);
    const fail = (error) => {
      clearTimeout(timer);
      server.kill().then(() => reject(error));
    };
    child.on('error', (error) => fail(new Error(`cannot start ${REGISTRY} (${error.code}): apt-get install docker-registry`)));
    child.on('exit', (code) => fail(new Error(`docker-registry exited (${code}) before listening: ${lastLine(log)}`)));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (log.includes(`msg="listening on 127.0.0.1:${port}"`)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(server);
      }
    });
  });
}

// The last fatal or error line says why the registry stopped.
function lastLine(log) {
  const lines = log.trim().split('\n');
  return (lines.findLast((line) => /level=(fatal|error|panic)/.test(line)) ?? lines.at(-1) ?? '').trim();
}

/** SIGTERM, then SIGKILL if it is still there after a while; resolves when it has exited. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function run(file, args) {
  try {
    return await execFileAsync(file, args, { encoding: 'utf8' });
  } catch (error) {
    if (error.code === 'ENOENT') throw new Error(`${file} not found: apt-get install ${file === 'htpasswd' ? 'apache2-utils' : file}`);
    throw new Error(`${file} ${args.join(' ')}: ${(error.stderr || error.message).trim().split('\n').at(-1)}`);
  }
}

// ---------------------------------------------------------------------------
// The token server (what auth.docker.io is to registry-1.docker.io).
//
//   curl -u cellblock:PASS 'http://127.0.0.1:PORT/token?service=…&scope=repository:busybox:pull'
//   → {"token":"eyJ…","access_token":"eyJ…","expires_in":300,…}

async function startTokenServer({ dir, password, anonymousPull }) {
  const signer = await makeSigningKey(dir);
  const requests = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    if (url.pathname !== '/token') return reply(response, 404, { details: 'not found' });
    const user = basicUser(request.headers.authorization, password);
    if (user === null) {
      requests.push({ user: 'invalid', scopes: url.searchParams.getAll('scope'), granted: [] });
      return reply(response, 401, { details: 'incorrect username or password' });
    }
    const access = grant(url.searchParams.getAll('scope'), user !== undefined, anonymousPull);
    requests.push({ user, scopes: url.searchParams.getAll('scope'), granted: access });
    const token = signer.jwt({ sub: user ?? '', aud: url.searchParams.get('service') ?? SERVICE, access });
    reply(response, 200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    realm: `http://127.0.0.1:${server.address().port}/token`,
    certificateFile: signer.certificateFile,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function reply(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** undefined: anonymous; null: wrong credentials; otherwise the user name. */
function basicUser(header, password) {
  if (!header) return undefined;
  const match = /^Basic\s+(\S+)$/i.exec(header);
  const [user, ...rest] = Buffer.from(match?.[1] ?? '', 'base64').toString().split(':');
  return user === USER && rest.join(':') === password ? user : null;
}

/**
 * What a token allows: every requested action to our user, only "pull" to
 * anonymous callers when anonymousPull is on, nothing otherwise. Like Docker
 * Hub, an anonymous caller still gets a token — with an empty access list, so
 * the registry answers 401 again and the client must tell the user to log in.
 * A scope reads "repository:NAME:pull,push" (NAME may contain "/").
 */
function grant(scopes, authenticated, anonymousPull) {
  const access = [];
  for (const scope of scopes.flatMap((s) => s.split(' '))) {
    const match = /^([^:]+):(.+):([^:]*)$/.exec(scope);
    if (!match) continue;
    const [, type, name, actions] = match;
    const allowed = actions.split(',').filter((action) => authenticated || (anonymousPull && action === 'pull'));
    if (allowed.length > 0) access.push({ type, name, actions: allowed });
  }
  return access;
}

/**
 * An ECDSA P-256 key and a self-signed certificate for it (the registry's
 * rootcertbundle). Tokens are JWTs signed with ES256, whose header carries the
 * certificate ("x5c"): the registry checks that certificate against its bundle,
 * then the signature with the certificate's key.
 */
async function makeSigningKey(dir) {
  const keyFile = join(dir, 'token.key');
  const certificateFile = join(dir, 'token.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certificateFile, '-days', '2', '-subj', `/CN=${ISSUER}`]);
  const key = createPrivateKey(readFileSync(keyFile));
  const certificate = new X509Certificate(readFileSync(certificateFile));
  const header = { typ: 'JWT', alg: 'ES256', x5c: [certificate.raw.toString('base64')] };
  return {
    certificateFile,
    jwt(claims) {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: ISSUER, iat: now, nbf: now - 10, exp: now + 300, jti: randomBytes(8).toString('hex'), ...claims };
      const signingInput = `${base64url(header)}.${base64url(payload)}`;
      // JWS wants the raw r‖s pair (64 bytes), not the DER that OpenSSL signs by default.
      const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
      return `${signingInput}.${signature.toString('base64url')}`;
    },
  };
}

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
