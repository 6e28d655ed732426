// The bad-input table (issue 8): malformed image references, manifests and
// configs from a registry on 127.0.0.1, hostile layers, and command-line
// values nothing should accept. Each row is one input; each must fail the
// way every cellblock failure does — exit 125 and one stderr line naming
// the problem (README: "always one line on stderr") — and leave what is
// stored exactly as it was: the store (but its locks), the image names, the
// container records.
//
// A few rows are inputs docker and podman accept with a caveat (a layer with
// device nodes, which a user namespace may not create): they expect success,
// the caveat said once, and nothing written where it should not be.
//
// Kept apart from pull-robustness.test.mjs (corrupt blobs, killed pulls) and
// unpack.test.mjs (the unpacker alone): this is about the one-line contract
// and the untouched store, input by input.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startRegistry } from '../helpers/registry.mjs';
import { pushSingleLayer } from '../helpers/images.mjs';
import { pushImageParts, putManifest, tarOf } from '../helpers/raw-image.mjs';
import { startForgingProxy } from '../helpers/slow-proxy.mjs';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const c = containerFixture();
let registry;
let proxy; // every pull goes through it: it forges what the registry will not store, and counts blob requests
const marker = `cellblock-escaped-${randomBytes(4).toString('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

before(async () => {
  registry = await startRegistry({ auth: 'none' });
  proxy = await startForgingProxy(registry.host);
  // One good image in the store first: its directories exist, so a refused input has nothing to create.
  const good = await pushSingleLayer(registry, 'bad/good');
  const pulled = await c.runner.cellblock(['pull', good.reference]);
  assert.equal(pulled.code, 0, pulled.stderr);
});
after(async () => {
  await proxy?.stop();
  await registry?.stop();
});

// ── what "nothing stored changed" means ────────────────────────────────────

/**
 * Every path under DIR with its type and size, but not SKIP ones, nor what
 * is below the entries of SHALLOW directories (an unpacked layer is named by
 * its digest and never changes once renamed into place: its name says enough).
 */
function listing(dir, { skip = [], shallow = [] } = {}) {
  const out = [];
  const walk = (path, rel) => {
    let names;
    try {
      names = readdirSync(path).sort();
    } catch {
      return; // not made yet
    }
    for (const name of names) {
      const child = `${rel}${name}`;
      if (skip.includes(child)) continue;
      const stat = lstatSync(join(path, name));
      out.push(`${child} ${stat.isDirectory() ? 'dir' : stat.size}`);
      if (stat.isDirectory() && !shallow.includes(rel.slice(0, -1))) walk(join(path, name), `${child}/`);
    }
  };
  walk(dir, '');
  return out;
}

/** The store (blobs, layers, refs, tmp, containers' storage) and the runtime records, locks aside. */
const stored = () => ({
  data: listing(join(c.runner.dataDir, 'cellblock'), { skip: ['locks'], shallow: ['layers/single', 'layers/subids'] }),
  runtime: listing(join(c.runner.runtimeDir, 'cellblock'), { skip: ['locks', 'notices'] }),
});

// ── the rows ──────────────────────────────────────────────────────────────

/** `run --rm --network none --rootfs BUSYBOX FLAGS… true`: a container that would start, but for FLAGS. */
const run = (...flags) => () => ['run', '--rm', '--network', 'none', ...flags, '--rootfs', c.rootfs, 'true'];
const pull = (reference) => ['pull', reference];
const tiny = () => tarOf([{ name: 'hello', content: 'hi\n' }]);

/** An image of one small layer pushed to the registry, its documents changed by EDIT; pulled through the proxy. */
const image = (name, edit, layers) => async () => {
  const pushed = await pushImageParts(registry, `bad/${name}`, layers ?? [await tiny()], edit);
  return { ...pushed, reference: pushed.reference.replace(registry.host, proxy.host) };
};

/** A good image in the registry, and a manifest for it forged by the proxy as NAME:TAG (the registry would refuse it). */
const forged = (tag, forge, contentType = OCI_MANIFEST) => async () => {
  const pushed = await pushImageParts(registry, 'bad/forged', [await tiny()]);
  const manifest = JSON.parse(pushed.manifest);
  const bytes = forge(manifest) ?? JSON.stringify(manifest);
  return { reference: proxy.forge('bad/forged', tag, bytes, contentType) };
};

/** An image of one layer whose tar ENTRIES aim outside the layer. */
const hostile = (name, entries) => async () => image(name, undefined, [await tarOf(entries)])();

/**
 * { name, setup?, command(context), expect, env? }: SETUP (async) returns
 * the context COMMAND needs (a reference); EXPECT is the stderr pattern of a
 * one-line error, or { success: CHECK } for the rows that must succeed.
 */
const rows = [
  // Image references: refused before any connection is made.
  { name: 'an empty reference', command: () => pull(''), expect: /invalid image reference "": it is empty/ },
  { name: 'an uppercase repository', command: () => pull('Busybox'), expect: /"Busybox": repository names must be lowercase/ },
  { name: 'an uppercase repository, given to run', command: () => ['run', '--rm', '--network', 'none', 'Busybox', 'true'], expect: /"Busybox": repository names must be lowercase/ },
  { name: 'a tag with "!"', command: () => pull('busybox:bad!tag'), expect: /"bad!tag" is not a valid tag/ },
  { name: 'a tag that starts with "-"', command: () => pull('busybox:-x'), expect: /"-x" is not a valid tag/ },
  { name: 'a tag of 129 characters', command: () => pull(`busybox:${'t'.repeat(129)}`), expect: /is not a valid tag/ },
  { name: 'a repository of 256 characters', command: () => pull('a'.repeat(256)), expect: /the repository name is longer than 255 characters/ },
  { name: 'a short digest', command: () => pull('busybox@sha256:abc'), expect: /the digest must be sha256: and 64 lowercase hex digits/ },
  { name: 'a digest that is not hex', command: () => pull(`busybox@sha256:${'g'.repeat(64)}`), expect: /the digest must be sha256: and 64 lowercase hex digits/ },
  { name: 'a sha512 digest', command: () => pull(`busybox@sha512:${'a'.repeat(128)}`), expect: /the digest must be sha256/ },
  { name: '"::" before the tag', command: () => pull('busybox::1'), expect: /invalid image reference "busybox::1": "busybox:" is not a valid path component/ },
  { name: 'an empty path component', command: () => pull('127.0.0.1:5000/a//b'), expect: /invalid image reference "127\.0\.0\.1:5000\/a\/\/b": a path component is empty/ },
  { name: 'a registry port above 65535', command: () => pull('127.0.0.1:99999/app'), expect: /"127\.0\.0\.1:99999" is not a valid registry host \(NAME\[:PORT\], a port from 1 to 65535\)/ },
  { name: 'registry port 0', command: () => pull('127.0.0.1:0/app'), expect: /"127\.0\.0\.1:0" is not a valid registry host/ },
  { name: 'a ":" after the registry port', command: () => pull('localhost:5000:/app'), expect: /"localhost:5000:" is not a valid registry host/ },

  // Manifests and configs, from the registry (or forged by the proxy where the registry refuses to store them).
  { name: 'a manifest of an unknown media type', setup: forged('wrongtype', (m) => { m.mediaType = 'application/vnd.example.thing.v1+json'; }, 'application/vnd.example.thing.v1+json'),
    command: ({ reference }) => pull(reference), expect: /has media type "application\/vnd\.example\.thing\.v1\+json", which is not an image manifest/ },
  { name: 'a manifest without a config', setup: forged('noconfig', (m) => { delete m.config; }), command: ({ reference }) => pull(reference), expect: /manifest sha256:[0-9a-f]{64} has no config$/ },
  { name: 'a manifest without layers', setup: image('nolayers', { manifest: (m) => { delete m.layers; } }), command: ({ reference }) => pull(reference), expect: /manifest sha256:[0-9a-f]{64} has no layers$/ },
  { name: 'layers that are not a list', setup: forged('layersobject', (m) => { m.layers = { 0: m.layers[0] }; }), command: ({ reference }) => pull(reference), expect: /"layers" is not a list/ },
  { name: 'a layer of 2^53 bytes (refused before downloading)', setup: image('huge', { manifest: (m) => { m.layers[0].size = 2 ** 53; } }),
    command: ({ reference }) => pull(reference), expect: /layer 0 is 9007199254740992 bytes, more than the 32g a layer may be \(CELLBLOCK_MAX_LAYER_SIZE raises it\): refusing it before downloading/,
    check: ({ layers }) => assert.ok(!proxy.blobRequests.some((path) => path.endsWith(layers[0])), 'the layer was never requested') },
  { name: 'a layer of size -1', setup: image('negative', { manifest: (m) => { m.layers[0].size = -1; } }), command: ({ reference }) => pull(reference), expect: /layer 0 has size -1, not a byte count/ },
  { name: 'a layer of size 1.5', setup: forged('fraction', (m) => { m.layers[0].size = 1.5; }), command: ({ reference }) => pull(reference), expect: /layer 0 has size 1\.5, not a byte count/ },
  { name: 'a layer whose digest is not sha256', setup: forged('shortdigest', (m) => { m.layers[0].digest = 'sha256:abc'; }), command: ({ reference }) => pull(reference), expect: /layer 0 has digest "sha256:abc", not sha256: and 64 hex digits/ },
  { name: 'a layer of an unknown compression', setup: image('rar', { manifest: (m) => { m.layers[0].mediaType = 'application/x-rar'; } }), command: ({ reference }) => pull(reference), expect: /layer 0: unsupported layer media type "application\/x-rar"/ },
  { name: 'a config that is not an image config (an artifact)', setup: image('artifact', { manifest: (m) => { m.config.mediaType = 'application/vnd.example.chart.v1+json'; } }),
    command: ({ reference }) => pull(reference), expect: /the config has media type "application\/vnd\.example\.chart\.v1\+json": not an image \(an artifact\?\)/ },
  { name: 'a config declared larger than 4 MiB', setup: image('bigconfig', { manifest: (m) => { m.config.size = 5 << 20; } }), command: ({ reference }) => pull(reference), expect: /the config is 5242880 bytes, more than the 4 MiB a config may be: refusing it before downloading/ },
  { name: 'a config that is not JSON', setup: image('configtext', { config: () => 'this is not json' }), command: ({ reference }) => pull(reference), expect: /config sha256:[0-9a-f]{64} is not JSON$/ },
  { name: 'a config without rootfs.diff_ids', setup: image('nodiffids', { config: (config) => { delete config.rootfs; } }), command: ({ reference }) => pull(reference), expect: /has no rootfs\.diff_ids list of sha256 digests/ },
  { name: 'more diff_ids than layers', setup: image('diffids', { config: (config) => { config.rootfs.diff_ids.push(config.rootfs.diff_ids[0]); } }),
    command: ({ reference }) => pull(reference), expect: /the manifest lists 1 layers but the config 2 diff_ids/ },
  { name: 'a manifest that is not the digest asked for', setup: async () => {
    const pushed = await pushImageParts(registry, 'bad/bydigest', [await tiny()]);
    const other = await pushImageParts(registry, 'bad/bydigest-other', [await tarOf([{ name: 'other', content: 'x' }])]);
    return { reference: proxy.forge('bad/bydigest', pushed.digest, other.manifest, OCI_MANIFEST) };
  }, command: ({ reference }) => pull(reference), expect: /the registry sent a manifest whose digest is sha256:[0-9a-f]{64}: refusing it/ },
  { name: 'a manifest that is not JSON', setup: forged('notjson', () => 'not json at all'), command: ({ reference }) => pull(reference), expect: /the registry sent something that is not a manifest \(not JSON\)/ },
  { name: 'a schema 1 manifest', setup: forged('schema1', () => JSON.stringify({ schemaVersion: 1, name: 'bad/forged', tag: 'schema1', architecture: 'amd64', fsLayers: [], history: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'),
    command: ({ reference }) => pull(reference), expect: /is a schema 1 manifest, which is not supported/ },
  { name: 'an index with no image for this platform', setup: async () => {
    const pushed = await pushImageParts(registry, 'bad/index', [await tiny()]);
    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.manifest.length, platform: { os: 'linux', architecture: 's390x' } }] };
    const { reference } = await putManifest(registry, 'bad/index', 'multi', Buffer.from(JSON.stringify(index)), OCI_INDEX);
    return { reference: reference.replace(registry.host, proxy.host) };
  }, command: ({ reference }) => pull(reference), expect: /no image for linux\/amd64 in this index \(it has: linux\/s390x\); pick one with --platform/ },

  // Hostile layers: refused as a whole, nothing written outside the layer (see the last test).
  { name: 'a "../" path in a layer', setup: hostile('dotdot', [{ name: `a/../../${marker}`, content: 'x' }]), command: ({ reference }) => pull(reference), expect: /entry "a\/\.\.\/\.\.\/cellblock-escaped-[0-9a-f]+" escapes the layer directory/ },
  { name: 'an absolute path in a layer', setup: hostile('absolute', [{ name: `/tmp/${marker}`, content: 'x' }]), command: ({ reference }) => pull(reference), expect: /entry "\/tmp\/cellblock-escaped-[0-9a-f]+" is an absolute path/ },
  { name: 'a symlink out of the layer, then a file through it', setup: hostile('symlink', [{ name: 'up', type: 'symlink', linkname: '../../..' }, { name: `up/${marker}`, content: 'x' }]),
    command: ({ reference }) => pull(reference), expect: /entry "up\/cellblock-escaped-[0-9a-f]+" goes through the symlink "up"/ },
  { name: 'a hard link to a file outside the layer', setup: hostile('hardlink-out', [{ name: 'secret', type: 'link', linkname: '../../../../etc/passwd' }]),
    command: ({ reference }) => pull(reference), expect: /entry "secret" is a hard link to "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd", which escapes the layer directory/ },
  { name: 'a hard link to a missing file', setup: hostile('hardlink-missing', [{ name: 'dangling', type: 'link', linkname: 'nowhere' }]),
    command: ({ reference }) => pull(reference), expect: /entry "dangling" is a hard link to "nowhere"/ },
  { name: 'a layer that inflates past CELLBLOCK_MAX_LAYER_SIZE (a decompression bomb)', env: { CELLBLOCK_MAX_LAYER_SIZE: '8m' },
    setup: hostile('bomb', [{ name: 'zeros', content: Buffer.alloc(16 << 20) }]), command: ({ reference }) => pull(reference),
    expect: /layer sha256:[0-9a-f]{64}: more than 8m uncompressed, the most a layer may hold \(a decompression bomb\?\); CELLBLOCK_MAX_LAYER_SIZE raises the limit/ },
  { name: 'a CELLBLOCK_MAX_LAYER_SIZE that is not a size', env: { CELLBLOCK_MAX_LAYER_SIZE: 'lots' }, setup: image('limit', undefined),
    command: ({ reference }) => pull(reference), expect: /invalid CELLBLOCK_MAX_LAYER_SIZE "lots": expected a size like 512k, 32m or 1g/ },
  { name: 'a truncated gzip', setup: async () => {
    const gzip = gzipSync(await tarOf([{ name: 'data', content: randomBytes(64 * 1024) }]));
    return image('truncated', undefined, [{ blob: gzip.subarray(0, gzip.length - 100), diffId: `sha256:${'0'.repeat(64)}` }])();
  }, command: ({ reference }) => pull(reference), expect: /layer sha256:[0-9a-f]{64}: gzip: unexpected end of file/ },
  { name: 'a gzip of bytes that are not a tar', setup: async () => {
    const bytes = Buffer.alloc(4096, 'not a tar');
    return image('nottar', undefined, [{ blob: gzipSync(bytes), diffId: `sha256:${'0'.repeat(64)}` }])();
  }, command: ({ reference }) => pull(reference), expect: /layer sha256:[0-9a-f]{64}: tar: / },
  { name: 'a layer whose diff_id does not match', setup: async () => {
    const tar = await tarOf([{ name: 'mismatch', content: 'x' }]);
    return image('diffid', undefined, [{ blob: gzipSync(tar), diffId: `sha256:${'1'.repeat(64)}` }])();
  }, command: ({ reference }) => pull(reference), expect: /\(uncompressed\): digest mismatch: expected sha256:1{64}, got sha256:[0-9a-f]{64}/ },
  // docker and podman skip device nodes in a rootless unpack (a user namespace may not mknod): so does cellblock, and says so once.
  ...['character-device', 'block-device'].map((type) => ({
    name: `a ${type.replace('-', ' ')} in a layer (skipped, with a notice)`,
    setup: hostile(type, [{ name: 'dev/', type: 'directory' }, { name: 'dev/node', type, devmajor: 8, devminor: 0 }, { name: 'after', content: 'ok' }]),
    command: ({ reference }) => pull(reference),
    expect: { success: ({ layers }, result) => {
      assert.match(result.stderr, /^cellblock: layer sha256:[0-9a-f]{64}: device nodes skipped: a user namespace may not create devices \(dev\/node\)$/m);
      const layer = readdirSync(join(c.runner.dataDir, 'cellblock', 'layers')).flatMap((mode) =>
        readdirSync(join(c.runner.dataDir, 'cellblock', 'layers', mode)).map((hex) => join(c.runner.dataDir, 'cellblock', 'layers', mode, hex)))
        .find((dir) => existsSync(join(dir, 'after')) && existsSync(join(dir, 'dev')));
      assert.ok(layer, `the layer of ${layers[0]} was unpacked`);
      assert.deepEqual(readdirSync(join(layer, 'dev')), [], 'no device node made');
    } } })),

  // Command-line values: refused before a container exists.
  { name: '-p host port 0', command: run('-p', '0:80'), expect: /invalid -p "0:80": host port 0 is not between 1 and 65535/ },
  { name: '-p host port 65536', command: run('-p', '65536:80'), expect: /host port 65536 is not between 1 and 65535/ },
  { name: '-p abc', command: run('-p', 'abc'), expect: /container port "abc" is not a number/ },
  { name: '-p with a range', command: run('-p', '1-2:3'), expect: /invalid -p "1-2:3": port ranges are not supported/ },
  { name: '-p with a bad IP', command: run('-p', '999.1.1.1:80:80'), expect: /"999\.1\.1\.1" is not an IP address/ },
  { name: '-p with an unknown protocol', command: run('-p', '80/sctp'), expect: /protocol "sctp" is not tcp or udp/ },
  { name: '--memory -5', command: run('--memory', '-5'), expect: /invalid --memory "-5": expected a size like 512k, 32m or 1g/ },
  { name: '--memory 12qb', command: run('--memory', '12qb'), expect: /invalid --memory "12qb"/ },
  { name: '--memory 0.5k', command: run('--memory', '0.5k'), expect: /invalid --memory 0\.5k: the minimum is 6MB/ },
  { name: '--memory past 2^53 bytes', command: run('--memory', '99999999999999999999999p'), expect: /invalid --memory "99999999999999999999999p": too large/ },
  { name: '--memory-swap without --memory', command: run('--memory-swap', '64m'), expect: /--memory-swap needs --memory too/ },
  { name: '-u a:b:c', command: run('-u', 'a:b:c'), expect: /invalid -u "a:b:c": expected UID\[:GID\] or NAME\[:GROUP\]/ },
  { name: '-u :', command: run('-u', ':'), expect: /invalid -u ":"/ },
  { name: '-u past the largest id', command: run('-u', '4294967296'), expect: /invalid -u "4294967296": 4294967296 is out of range/ },
  { name: '-e =x', command: run('-e', '=x'), expect: /-e: invalid environment variable "=x": the name is empty/ },
  { name: '-e " A=1"', command: run('-e', ' A=1'), expect: /the name contains whitespace/ },
  { name: '--env-file that does not exist', command: run('--env-file', '/nonexistent/env'), expect: /--env-file \/nonexistent\/env: ENOENT/ },
  { name: '--cpus abc', command: run('--cpus', 'abc'), expect: /invalid --cpus "abc": the range is 0\.01 to \d+/ },
  { name: '--cpus 0', command: run('--cpus', '0'), expect: /invalid --cpus "0"/ },
  { name: '--cpu-shares abc', command: run('--cpu-shares', 'abc'), expect: /invalid --cpu-shares "abc": expected a whole number/ },
  { name: '--cpuset-cpus a', command: run('--cpuset-cpus', 'a'), expect: /invalid --cpuset-cpus "a"/ },
  { name: '--pids-limit x', command: run('--pids-limit', 'x'), expect: /invalid --pids-limit "x": expected a whole number/ },
  { name: '--pids-limit 1.5', command: run('--pids-limit', '1.5'), expect: /invalid --pids-limit "1\.5": expected a whole number/ },
  { name: '--pids-limit past 2^53', command: run('--pids-limit', '99999999999999999999'), expect: /invalid --pids-limit 99999999999999999999: too large/ },
  { name: '--blkio-weight 5', command: run('--blkio-weight', '5'), expect: /invalid --blkio-weight 5: the range is 10 to 1000/ },
  { name: '--hostname -bad', command: run('--hostname', '-bad'), expect: /invalid --hostname "-bad"/ },
  { name: '--hostname of 65 characters', command: run('--hostname', 'h'.repeat(65)), expect: /invalid --hostname "h{65}"/ },
  { name: '--name of one character', command: run('--name', 'a'), expect: /invalid --name "a": only \[a-zA-Z0-9\]\[a-zA-Z0-9_\.-\] are allowed, at least 2 characters/ },
  { name: '--name with a "/"', command: run('--name', 'bad/name'), expect: /invalid --name "bad\/name"/ },
  { name: '-w relative', command: run('-w', 'relative'), expect: /invalid -w "relative": the working directory must be an absolute path/ },
  { name: '--tmpfs with an unknown option', command: run('--tmpfs', '/t:bogus'), expect: /invalid --tmpfs "\/t:bogus": unknown tmpfs option "bogus"/ },
  { name: '--tmpfs with a bad size', command: run('--tmpfs', '/t:size=abc'), expect: /invalid --tmpfs "\/t:size=abc": bad value for size/ },
  { name: '--tmpfs relative', command: run('--tmpfs', 'relative'), expect: /"relative" is not an absolute path in the container/ },
  { name: '-v with an empty source', command: run('-v', ':/x'), expect: /invalid -v ":\/x"/ },
  { name: '-v with an empty target', command: run('-v', '/tmp:'), expect: /invalid -v "\/tmp:"/ },
  { name: '-v ::', command: run('-v', '::'), expect: /invalid -v "::"/ },
  { name: '--mount of an unknown type', command: run('--mount', 'type=bogus,target=/x'), expect: /type "bogus" is not supported \(bind, volume or tmpfs\)/ },
  { name: '--network unknown', command: run('--network', 'bogus'), expect: /--network "bogus": no such network mode/ },
  { name: '--userns unknown', command: run('--userns', 'bogus'), expect: /'--userns <mode>' argument 'bogus' is invalid/ },
  { name: '--add-host without an address', command: run('--add-host', 'db'), expect: /invalid --add-host "db": expected NAME:IP or NAME:host-gateway/ },
  { name: '--dns abc', command: run('--dns', 'abc'), expect: /invalid --dns "abc": not an IP address/ },
  { name: '--platform without an architecture', command: () => ['pull', '--platform', 'linux', 'busybox'], expect: /invalid --platform "linux": expected OS\/ARCH\[\/VARIANT\]/ },
  { name: '--detach-keys unknown', command: run('--detach-keys', 'ctrl-bogus'), expect: /invalid --detach-keys "ctrl-bogus"/ },
];

test(`the table has at least 40 one-line errors (${rows.length} rows)`, () => {
  assert.ok(rows.filter((row) => row.expect instanceof RegExp).length >= 40);
  assert.equal(new Set(rows.map((row) => row.name)).size, rows.length, 'row names are unique');
});

for (const row of rows) {
  test(row.name, async () => {
    const context = row.setup ? await row.setup() : {};
    const before = stored();
    const result = await c.runner.cellblock(row.command(context), { env: row.env });
    if (row.expect instanceof RegExp) {
      assertOneLineError(assert, result, row.expect);
      assert.deepEqual(stored(), before, 'nothing stored changed');
    } else {
      assert.equal(result.code, 0, result.stderr);
      row.expect.success(context, result);
    }
    row.check?.(context);
  });
}

test('no hostile layer wrote anything outside its directory', () => {
  const data = join(c.runner.dataDir, 'cellblock');
  for (const place of [`/tmp/${marker}`, `/${marker}`, join(data, marker), join(data, 'layers', marker), join(data, 'tmp', marker), join(c.runner.dataDir, marker)]) {
    assert.ok(!existsSync(place), `${place} does not exist`);
  }
});
