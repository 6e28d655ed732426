// The registry client (src/image/registry.ts), credentials and login/logout,
// against Debian's real docker-registry (test/helpers/registry.mjs) with the
// three kinds of auth, and against tiny stub servers for what a real registry
// will not do on demand (fail twice, redirect to another origin, lie).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { parseWWWAuthenticate, Registry, RegistryError, registryOrigin } from '../dist/image/registry.js';
import { authFilePath, credentialsFor, registryKey, removeCredentials, saveCredentials } from '../dist/image/credentials.js';
import { login } from '../dist/cli/login.js';
import { logout } from '../dist/cli/logout.js';
import { freePort, startRegistry } from './helpers/registry.mjs';
import { pushMultiArch, pushSingleLayer, pushThreeLayers } from './helpers/images.mjs';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Assert that PROMISE fails with a one-line RegistryError matching PATTERN. */
async function rejectsWith(promise, pattern) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof RegistryError, `a RegistryError, got ${error?.name}: ${error?.message}`);
    assert.doesNotMatch(error.message, /\n/);
    assert.match(error.message, pattern);
    return true;
  });
}

/** A line of a `tar -tv` listing of BYTES (gzip): "mode owner/group … name". */
function tarListing(bytes) {
  return execFileSync('tar', ['-tvz', '--numeric-owner'], { input: bytes, encoding: 'utf8' }).trim().split('\n');
}

const entry = (listing, name) => listing.find((line) => line.endsWith(` ${name}`) || line.includes(` ${name} `));

// ---------------------------------------------------------------------------

describe('WWW-Authenticate parser', () => {
  it('reads a Bearer challenge whose scope holds a comma inside quotes', () => {
    assert.deepEqual(parseWWWAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' } },
    ]);
  });

  it('reads several challenges, unquoted values, spaces and escaped quotes', () => {
    assert.deepEqual(parseWWWAuthenticate('Bearer realm="http://127.0.0.1:1/token" , service=reg, error="insufficient_scope", Basic Realm="say \\"hi\\", please"'), [
      { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token', service: 'reg', error: 'insufficient_scope' } },
      { scheme: 'basic', params: { realm: 'say "hi", please' } },
    ]);
  });

  it('lower-cases schemes and parameter names, and keeps schemes without parameters', () => {
    assert.deepEqual(parseWWWAuthenticate('BASIC REALM=x'), [{ scheme: 'basic', params: { realm: 'x' } }]);
    assert.deepEqual(parseWWWAuthenticate('Negotiate, Basic realm="r"'), [{ scheme: 'negotiate', params: {} }, { scheme: 'basic', params: { realm: 'r' } }]);
  });

  it('returns nothing for an empty header', () => {
    assert.deepEqual(parseWWWAuthenticate(''), []);
    assert.deepEqual(parseWWWAuthenticate('  ,  '), []);
  });
});

describe('registry host → URL', () => {
  it('docker.io is registry-1.docker.io, over https', () => {
    assert.equal(registryOrigin('docker.io'), 'https://registry-1.docker.io');
  });

  it('https for any other host, port or not', () => {
    assert.equal(registryOrigin('quay.io'), 'https://quay.io');
    assert.equal(registryOrigin('registry.example:5000'), 'https://registry.example:5000');
    assert.equal(registryOrigin('127.0.0.2:5000'), 'https://127.0.0.2:5000');
  });

  it('plain http for loopback, with or without a port', () => {
    for (const host of ['localhost', 'localhost:5000', 'LOCALHOST:5000', '127.0.0.1', '127.0.0.1:5000', '[::1]', '[::1]:5000']) {
      assert.equal(registryOrigin(host), `http://${host}`);
    }
  });

  it('plain http anywhere with tlsVerify false', () => {
    assert.equal(registryOrigin('registry.example:5000', false), 'http://registry.example:5000');
  });

  it('refuses what is not a host', () => {
    for (const host of ['', 'http://registry.example', 'registry.example/path', 'user@registry.example', 'a b']) {
      assert.throws(() => registryOrigin(host), RegistryError, host);
    }
  });

  it('refuses repository names and references that are not in the grammar', async () => {
    const registry = Registry.connect('127.0.0.1:1');
    await rejectsWith(registry.manifest('../etc', 'latest'), /not a valid repository name/);
    await rejectsWith(registry.manifest('Busybox', 'latest'), /not a valid repository name/);
    await rejectsWith(registry.manifest('busybox', 'a/b'), /neither a tag nor a sha256 digest/);
    await rejectsWith(registry.blob('busybox', 'sha512:00'), /neither a tag nor a sha256 digest|not a sha256 digest/);
  });
});

// ---------------------------------------------------------------------------
// Stub servers: HTTP behaviour a real registry does not show on demand.

async function stubServer(handler) {
  const requests = [];
  const server = createServer((request, response) => {
    requests.push({ url: request.url, headers: request.headers });
    handler(request, response, requests.length);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] }));

describe('client behaviour (stub servers)', () => {
  it('retries 503 and 429, then succeeds', async () => {
    const stub = await stubServer((request, response, n) => {
      if (n <= 2) return response.writeHead(n === 1 ? 503 : 429).end();
      response.writeHead(200, { 'content-type': OCI_MANIFEST }).end(MANIFEST);
    });
    try {
      const manifest = await Registry.connect(stub.host).manifest('app', 'latest');
      assert.equal(manifest.digest, sha256(MANIFEST));
      assert.equal(stub.requests.length, 3);
    } finally {
      await stub.close();
    }
  });

  it('gives up after 3 retries of a 500, with one line', async () => {
    const stub = await stubServer((request, response) => response.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}'));
    try {
      await rejectsWith(Registry.connect(stub.host).manifest('app', 'latest'), new RegExp(`^${stub.host}/app:latest: unknown error \\(500 UNKNOWN\\)$`));
      assert.equal(stub.requests.length, 4);
    } finally {
      await stub.close();
    }
  });

  it('does not retry a 4xx', async () => {
    const stub = await stubServer((request, response) => response.writeHead(404).end());
    try {
      await rejectsWith(Registry.connect(stub.host).manifest('app', 'latest'), new RegExp(`^${stub.host}/app:latest: not found \\(404\\)$`));
      assert.equal(stub.requests.length, 1);
    } finally {
      await stub.close();
    }
  });

  it('retries a connection reset by the server', async () => {
    const stub = await stubServer((request, response, n) => {
      if (n === 1) return request.socket.destroy();
      response.writeHead(200, { 'content-type': OCI_MANIFEST }).end(MANIFEST);
    });
    try {
      assert.equal((await Registry.connect(stub.host).manifest('app', 'latest')).mediaType, OCI_MANIFEST);
      assert.equal(stub.requests.length, 2);
    } finally {
      await stub.close();
    }
  });

  it('says "cannot connect" at once when nothing listens', async () => {
    const port = await freePort();
    const started = Date.now();
    await rejectsWith(Registry.connect(`127.0.0.1:${port}`).manifest('app', 'latest'), new RegExp(`^127\\.0\\.0\\.1:${port}: cannot connect \\(ECONNREFUSED\\)$`));
    assert.ok(Date.now() - started < 1000, 'no retries for a registry that never answered');
  });

  it('follows a blob redirect to another origin without the Authorization header', async () => {
    const cdn = await stubServer((request, response) => response.writeHead(200, { 'content-length': '5' }).end('bytes'));
    const registry = await stubServer((request, response) => {
      if (!request.headers.authorization) return response.writeHead(401, { 'www-authenticate': 'Basic realm="stub"' }).end();
      if (request.url.startsWith('/v2/app/blobs/')) return response.writeHead(307, { location: `/same-origin${request.url}` }).end();
      response.writeHead(302, { location: `http://${cdn.host}/signed?X-Amz-Signature=abc` }).end();
    });
    try {
      const client = Registry.connect(registry.host, { credentials: { username: 'u', password: 'p' } });
      const blob = await client.blob('app', `sha256:${'a'.repeat(64)}`);
      assert.equal((await readAll(blob.stream)).toString(), 'bytes');
      assert.equal(blob.size, 5);
      assert.equal(registry.requests.at(-1).headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`, 'kept within the origin');
      assert.equal(cdn.requests.length, 1);
      assert.equal(cdn.requests[0].headers.authorization, undefined, 'not sent to the other origin');
    } finally {
      await Promise.all([cdn.close(), registry.close()]);
    }
  });

  it('takes the media type from Content-Type when the manifest has no mediaType field', async () => {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }));
    const stub = await stubServer((request, response) => response.writeHead(200, { 'content-type': `${OCI_MANIFEST}; charset=utf-8` }).end(bytes));
    try {
      const manifest = await Registry.connect(stub.host).manifest('app', 'v1');
      assert.equal(manifest.mediaType, OCI_MANIFEST);
      assert.deepEqual(manifest.bytes, bytes);
      assert.match(stub.requests[0].headers.accept, /application\/vnd\.oci\.image\.index\.v1\+json.*application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
    } finally {
      await stub.close();
    }
  });

  it('refuses a manifest whose bytes do not hash to the digest asked for', async () => {
    const stub = await stubServer((request, response) => response.writeHead(200, { 'content-type': OCI_MANIFEST }).end(MANIFEST));
    const wrong = `sha256:${'b'.repeat(64)}`;
    try {
      await rejectsWith(Registry.connect(stub.host).manifest('app', wrong), new RegExp(`^${stub.host}/app@${wrong}: the registry sent a manifest whose digest is ${sha256(MANIFEST)}: refusing it$`));
    } finally {
      await stub.close();
    }
  });
});

// ---------------------------------------------------------------------------
// Debian's docker-registry 2.8

describe('docker-registry without auth', () => {
  let registry;
  let client;
  let single;
  before(async () => {
    registry = await startRegistry({ auth: 'none' });
    single = await pushSingleLayer(registry.host, 'busybox');
    client = Registry.connect(registry.host);
  });
  after(() => registry?.stop());

  it('fetches a manifest by tag: its bytes, type and digest', async () => {
    const manifest = await client.manifest('busybox', 'latest');
    assert.equal(manifest.mediaType, OCI_MANIFEST);
    assert.equal(manifest.digest, single.digest);
    assert.equal(sha256(manifest.bytes), single.digest);
    const parsed = JSON.parse(manifest.bytes);
    assert.equal(parsed.config.digest, single.config);
    assert.deepEqual(parsed.layers.map((l) => l.digest), single.layers);
  });

  it('fetches the same manifest by digest, and checks it', async () => {
    const manifest = await client.manifest('busybox', single.digest);
    assert.equal(manifest.digest, single.digest);
  });

  it('streams blobs: the config and the layer, with their sizes', async () => {
    for (const digest of [single.config, ...single.layers]) {
      const blob = await client.blob('busybox', digest);
      const bytes = await readAll(blob.stream);
      assert.equal(sha256(bytes), digest);
      assert.equal(blob.size, bytes.length);
    }
    const config = JSON.parse(await readAll((await client.blob('busybox', single.config)).stream));
    assert.deepEqual(config.config.Cmd, ['sh']);
  });

  it('the busybox layer has relative applet links', async () => {
    const listing = tarListing(await readAll((await client.blob('busybox', single.layers[0])).stream));
    assert.match(entry(listing, 'bin/busybox'), /^-rwxr-xr-x 0\/0 /);
    assert.match(entry(listing, 'usr/bin/awk'), /usr\/bin\/awk -> \.\.\/\.\.\/bin\/busybox$/);
  });

  it('404: a repository, a tag or a blob that is not there', async () => {
    await rejectsWith(client.manifest('nope', 'latest'), new RegExp(`^${registry.host}/nope:latest: not found \\(404 MANIFEST_UNKNOWN\\)$`));
    await rejectsWith(client.manifest('busybox', 'nope'), new RegExp(`^${registry.host}/busybox:nope: not found \\(404 MANIFEST_UNKNOWN\\)$`));
    const missing = `sha256:${'0'.repeat(64)}`;
    await rejectsWith(client.blob('busybox', missing), new RegExp(`^${registry.host}/busybox@${missing}: not found \\(404 BLOB_UNKNOWN\\)$`));
  });

  it('a multi-arch image: the index, then each platform by digest', async () => {
    const multi = await pushMultiArch(registry.host, 'multi', { tag: 'v1' });
    const index = await client.manifest('multi', 'v1');
    assert.equal(index.mediaType, OCI_INDEX);
    assert.equal(index.digest, multi.digest);
    const platforms = JSON.parse(index.bytes).manifests.map((m) => [m.platform.architecture, m.digest]);
    assert.deepEqual(platforms, [['amd64', multi.manifests.amd64.digest], ['arm64', multi.manifests.arm64.digest]]);
    for (const architecture of ['amd64', 'arm64']) {
      const manifest = await client.manifest('multi', multi.manifests[architecture].digest);
      assert.equal(manifest.mediaType, OCI_MANIFEST);
      const { config, layers } = JSON.parse(manifest.bytes);
      assert.equal(JSON.parse(await readAll((await client.blob('multi', config.digest)).stream)).architecture, architecture);
      assert.equal(layers[0].digest, single.layers[0], 'the busybox layer is shared');
      const marker = execFileSync('tar', ['-xzO', 'arch'], { input: await readAll((await client.blob('multi', layers[1].digest)).stream), encoding: 'utf8' });
      assert.equal(marker, `${architecture}\n`);
    }
  });

  it('the three-layer image has whiteouts, an opaque dir, links, special modes and owners', async () => {
    const three = await pushThreeLayers(registry.host, 'three');
    const manifest = JSON.parse((await client.manifest('three', 'latest')).bytes);
    assert.equal(manifest.layers.length, 3);
    const [one, two, layer3] = await Promise.all(three.layers.map(async (digest) => tarListing(await readAll((await client.blob('three', digest)).stream))));
    assert.ok(entry(one, 'etc/deleteme') && entry(one, 'data/old/a'), one.join('\n'));
    assert.ok(entry(two, 'etc/.wh.deleteme'), two.join('\n'));
    assert.ok(entry(two, 'data/.wh..wh..opq'));
    assert.match(entry(two, 'data/hard'), /^h.* data\/hard link to data\/new$/);
    assert.match(entry(two, 'data/link'), /^l.* data\/link -> new$/);
    assert.match(entry(layer3, 'usr/local/bin/suid'), /^-rwsr-xr-x 0\/0 /);
    assert.match(entry(layer3, 'shared/'), /^drwxrwxrwt 0\/0 /);
    assert.match(entry(layer3, 'home/alice/owned'), /^-rw-r----- 1000\/1000 /);
    const config = JSON.parse(await readAll((await client.blob('three', three.config)).stream)).config;
    assert.equal(config.User, '1000:1000');
    assert.equal(config.WorkingDir, '/data');
    assert.deepEqual(config.Cmd, ['sh', '-c', 'cat /data/new']);
    assert.ok(config.Env.includes('GREETING=hello from layer 3'));
  });

  it('a manifest corrupted in the registry\'s storage is refused when asked for by digest', async () => {
    const pushed = await pushSingleLayer(registry.host, 'corrupt-manifest');
    const path = registry.blobPath(pushed.digest);
    writeFileSync(path, `${readFileSync(path, 'utf8')}\n`); // still valid JSON, so the registry serves it
    await rejectsWith(client.manifest('corrupt-manifest', pushed.digest), /: the registry sent a manifest whose digest is sha256:[0-9a-f]{64}: refusing it$/);
    // By tag there is nothing to check against: the digest is whatever the bytes hash to.
    assert.notEqual((await client.manifest('corrupt-manifest', 'latest')).digest, pushed.digest);
  });

  it('blob() hands over a corrupted blob unverified (the content store checks it)', async () => {
    const pushed = await pushSingleLayer(registry.host, 'corrupt-blob');
    writeFileSync(registry.blobPath(pushed.config), '{"not":"the config"}');
    const bytes = await readAll((await client.blob('corrupt-blob', pushed.config)).stream);
    assert.notEqual(sha256(bytes), pushed.config);
  });
});

describe('docker-registry with htpasswd (HTTP Basic)', () => {
  let registry;
  let pushed;
  before(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    pushed = await pushSingleLayer(registry, 'busybox');
  });
  after(() => registry?.stop());

  it('pulls with the right password', async () => {
    const client = Registry.connect(registry.host, { credentials: { username: registry.user, password: registry.password } });
    assert.equal((await client.manifest('busybox', 'latest')).digest, pushed.digest);
    assert.equal(sha256(await readAll((await client.blob('busybox', pushed.layers[0])).stream)), pushed.layers[0]);
  });

  it('without credentials: unauthorized, and how to log in', async () => {
    await rejectsWith(Registry.connect(registry.host).manifest('busybox', 'latest'),
      new RegExp(`^${registry.host}/busybox:latest: unauthorized: authentication required \\(401\\) — cellblock login ${registry.host}$`));
  });

  it('with a wrong password: unauthorized, incorrect password', async () => {
    const client = Registry.connect(registry.host, { credentials: { username: registry.user, password: 'wrong' } });
    await rejectsWith(client.manifest('busybox', 'latest'), new RegExp(`^${registry.host}/busybox:latest: unauthorized: incorrect username or password \\(401\\)$`));
  });
});

describe('docker-registry with token auth', () => {
  let registry;
  let pushed;
  before(async () => {
    registry = await startRegistry({ auth: 'token' });
    pushed = await pushSingleLayer(registry, 'busybox');
  });
  after(() => registry?.stop());

  it('anonymous pulls are denied: unauthorized, and how to log in', async () => {
    await rejectsWith(Registry.connect(registry.host).manifest('busybox', 'latest'),
      new RegExp(`^${registry.host}/busybox:latest: unauthorized: authentication required \\(401\\) — cellblock login ${registry.host}$`));
    assert.deepEqual(registry.tokenRequests.at(-1), { user: undefined, scopes: ['repository:busybox:pull'], granted: [] });
  });

  it('pulls with credentials, asking for one token for the repository', async () => {
    const client = Registry.connect(registry.host, { credentials: { username: registry.user, password: registry.password } });
    const before = registry.tokenRequests.length;
    const manifest = await client.manifest('busybox', 'latest');
    assert.equal(manifest.digest, pushed.digest);
    for (const digest of [pushed.config, ...pushed.layers]) assert.equal(sha256(await readAll((await client.blob('busybox', digest)).stream)), digest);
    await client.manifest('busybox', pushed.digest);
    const asked = registry.tokenRequests.slice(before);
    assert.deepEqual(asked.map((r) => [r.user, r.scopes]), [[registry.user, ['repository:busybox:pull']]], 'the token is reused');
  });

  it('with a wrong password: the token server says no', async () => {
    const client = Registry.connect(registry.host, { credentials: { username: registry.user, password: 'wrong' } });
    await rejectsWith(client.manifest('busybox', 'latest'), new RegExp(`^${registry.host}/busybox:latest: unauthorized: incorrect username or password \\(401\\)$`));
  });
});

describe('docker-registry with token auth and anonymous pulls', () => {
  let registry;
  let pushed;
  before(async () => {
    registry = await startRegistry({ auth: 'token', anonymousPull: true });
    pushed = await pushSingleLayer(registry, 'public');
  });
  after(() => registry?.stop());

  it('pulls anonymously with a pull-only token', async () => {
    const client = Registry.connect(registry.host);
    assert.equal((await client.manifest('public', 'latest')).digest, pushed.digest);
    assert.equal(sha256(await readAll((await client.blob('public', pushed.config)).stream)), pushed.config);
    assert.deepEqual(registry.tokenRequests.at(-1), { user: undefined, scopes: ['repository:public:pull'], granted: [{ type: 'repository', name: 'public', actions: ['pull'] }] });
  });

  it('an anonymous push is still refused', async () => {
    await assert.rejects(pushSingleLayer(registry.host, 'public', { tag: 'anonymous' }), /skopeo copy/);
  });
});

// ---------------------------------------------------------------------------
// Credentials, login and logout (in a private HOME and XDG_CONFIG_HOME)

/** A Writable that keeps what is written: `sink.text`. */
function sink() {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += chunk;
      done();
    },
  });
  stream.text = '';
  return stream;
}

/** login() with its own streams: resolves to { stdout, stderr }. */
async function loginTo(host, options, input = Readable.from([])) {
  const output = sink();
  const errors = sink();
  await login(host, options, { input, output, errors });
  return { stdout: output.text, stderr: errors.text };
}

describe('credentials, login and logout', () => {
  let home;
  let saved;
  let registry;
  let tokenRegistry;
  before(async () => {
    saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, DOCKER_CONFIG: process.env.DOCKER_CONFIG };
    home = mkdtempSync(join(tmpdir(), 'cellblock-login-'));
    process.env.HOME = home;
    process.env.XDG_CONFIG_HOME = join(home, 'config');
    delete process.env.DOCKER_CONFIG;
    [registry, tokenRegistry] = await Promise.all([startRegistry({ auth: 'htpasswd' }), startRegistry({ auth: 'token' })]);
  });
  after(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await Promise.all([registry?.stop(), tokenRegistry?.stop()]);
    rmSync(home, { recursive: true, force: true });
  });

  it('auth.json lives in $XDG_CONFIG_HOME/cellblock', () => {
    assert.equal(authFilePath(), join(home, 'config/cellblock/auth.json'));
  });

  it('login checks the password, then saves it 0600 in docker\'s format', async () => {
    const { stdout } = await loginTo(registry.host, { username: registry.user, password: registry.password });
    assert.equal(stdout, 'Login Succeeded\n');
    const file = authFilePath();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'config/cellblock')).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      auths: { [registry.host]: { auth: Buffer.from(`${registry.user}:${registry.password}`).toString('base64') } },
    });
    assert.deepEqual(readdirSync(join(home, 'config/cellblock')), ['auth.json'], 'no temporary file left behind');
    const credentials = credentialsFor(registry.host);
    assert.equal(credentials.username, registry.user);
    assert.equal(credentials.password, registry.password);
    // …and a pull can use them.
    await Registry.connect(registry.host, { credentials }).ping();
  });

  it('login with a wrong password fails in one line and saves nothing', async () => {
    const other = tokenRegistry.host;
    await rejectsWith(loginTo(other, { username: tokenRegistry.user, password: 'wrong' }),
      new RegExp(`^${other}: unauthorized: incorrect username or password \\(401\\)$`));
    await rejectsWith(loginTo(registry.host, { username: registry.user, password: 'wrong' }),
      new RegExp(`^${registry.host}: unauthorized: incorrect username or password \\(401\\)$`));
    assert.equal(credentialsFor(other), undefined);
    assert.equal(credentialsFor(registry.host).password, registry.password, 'the earlier login is kept');
  });

  it('login with --password-stdin against a token registry', async () => {
    const { stdout, stderr } = await loginTo(tokenRegistry.host, { username: tokenRegistry.user, passwordStdin: true }, Readable.from([`${tokenRegistry.password}\n`]));
    assert.equal(stdout, 'Login Succeeded\n');
    assert.equal(stderr, '');
    assert.equal(credentialsFor(tokenRegistry.host).password, tokenRegistry.password);
    assert.ok(credentialsFor(registry.host), 'the other host is still there');
  });

  it('-p warns that the password shows in ps', async () => {
    const { stderr } = await loginTo(registry.host, { username: registry.user, password: registry.password });
    assert.match(stderr, /^WARNING! Using --password via the CLI is insecure\. Use --password-stdin\.\n$/);
  });

  it('login refuses bad input before any request', async () => {
    await assert.rejects(login(registry.host, { username: 'u', password: 'p', passwordStdin: true }), /cannot be used together/);
    await assert.rejects(loginTo(registry.host, { password: 'p' }), /^Error: no user name: use -u USER$/);
    await assert.rejects(loginTo(registry.host, { username: 'u' }), /no password: use --password-stdin/);
    await assert.rejects(loginTo(registry.host, { username: 'u', passwordStdin: true }, Readable.from(['\n'])), /the password is empty/);
    await assert.rejects(login('not a host', { username: 'u', password: 'p' }), /is not a registry host/);
  });

  it('logout removes the entry; a second logout says there was none', async () => {
    const output = sink();
    logout(registry.host, output);
    assert.equal(output.text, `Removed login credentials for ${registry.host}\n`);
    assert.equal(credentialsFor(registry.host), undefined);
    assert.ok(credentialsFor(tokenRegistry.host), 'other hosts stay');
    assert.equal(statSync(authFilePath()).mode & 0o777, 0o600);
    assert.throws(() => logout(registry.host, sink()), new RegExp(`^Error: not logged in to ${registry.host.replace(/\./g, '\\.')}$`));
  });

  it('reads docker\'s config.json after its own file, ignoring credsStore, and never changes it', () => {
    const docker = join(home, '.docker');
    mkdirSync(docker, { recursive: true });
    const dockerConfig = {
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
        [tokenRegistry.host]: { auth: Buffer.from('docker:fromdocker').toString('base64') },
        'ghcr.io': {},
      },
      credsStore: 'desktop',
      credHelpers: { 'gcr.io': 'gcloud' },
    };
    writeFileSync(join(docker, 'config.json'), JSON.stringify(dockerConfig));
    for (const alias of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']) {
      assert.deepEqual(credentialsFor(alias), { username: 'hubuser', password: 'hubpass', source: join(docker, 'config.json') }, alias);
    }
    assert.equal(credentialsFor(tokenRegistry.host).username, tokenRegistry.user, 'cellblock\'s own file wins');
    assert.equal(credentialsFor('ghcr.io'), undefined, 'an entry without "auth" (a credential helper\'s) is skipped');
    assert.equal(credentialsFor('gcr.io'), undefined);
    assert.throws(() => logout('docker.io', sink()), /^Error: docker\.io: the credentials come from .*\.docker\/config\.json, which cellblock does not change — use docker logout docker\.io$/);
    assert.deepEqual(JSON.parse(readFileSync(join(docker, 'config.json'), 'utf8')), dockerConfig);
  });

  it('docker.io and its aliases are one entry', () => {
    assert.equal(registryKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(registryKey('Registry.Example:5000'), 'registry.example:5000');
    saveCredentials('index.docker.io', 'me', 'secret:with:colons');
    assert.deepEqual(credentialsFor('docker.io'), { username: 'me', password: 'secret:with:colons', source: authFilePath() });
    assert.ok(JSON.parse(readFileSync(authFilePath(), 'utf8')).auths['docker.io']);
    assert.equal(removeCredentials('registry-1.docker.io'), true);
    assert.equal(removeCredentials('docker.io'), false);
  });

  it('a broken auth.json is a one-line error naming the file', () => {
    writeFileSync(authFilePath(), '{ not json');
    assert.throws(() => credentialsFor('quay.io'), new RegExp(`^Error: ${authFilePath()} is not valid JSON: fix or remove it$`));
    rmSync(authFilePath());
    assert.equal(credentialsFor('quay.io'), undefined);
  });
});
