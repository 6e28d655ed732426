// The store against things going wrong: corrupted blobs, pulls killed
// half-way, hostile layers, two pulls at once — as an unprivileged user,
// against real registries on 127.0.0.1 (chapter 08).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startRegistry } from '../helpers/registry.mjs';
import { pushSingleLayer, pushThreeLayers } from '../helpers/images.mjs';
import { pushRawImage, tarOf } from '../helpers/raw-image.mjs';
import { startSlowProxy } from '../helpers/slow-proxy.mjs';
import { Runner } from '../../scripts/lib/as-user.mjs';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const c = containerFixture();
let registry;

before(async () => {
  registry = await startRegistry({ auth: 'none' });
});
after(() => registry?.stop());

const cellblock = (...args) => c.runner.cellblock(args);
const store = () => join(c.runner.dataDir, 'cellblock');
const list = (...parts) => {
  try {
    return readdirSync(join(store(), ...parts)).sort();
  } catch {
    return [];
  }
};
/** Everything in the store but the lock files, which are meant to stay. */
const storeState = () => ({ blobs: list('blobs', 'sha256'), single: list('layers', 'single'), subids: list('layers', 'subids'), refs: list('refs'), tmp: list('tmp') });

test('a corrupted blob fails the pull with a digest error, and the store keeps no trace of it', async (t) => {
  // A registry of its own: corrupting a blob here must not spoil other tests' images.
  const own = await startRegistry({ auth: 'none' });
  t.after(() => own.stop());
  const image = await pushSingleLayer(own, 'corrupt/single');
  const layer = image.layers[0];
  const data = readFileSync(own.blobPath(layer));
  data[Math.floor(data.length / 2)] ^= 0xff;
  writeFileSync(own.blobPath(layer), data);

  const before = storeState();
  const r = await cellblock('pull', image.reference);
  assertOneLineError(assert, r, new RegExp(`blob ${layer}: digest mismatch: expected ${layer}, got sha256:[0-9a-f]{64}`));
  const after = storeState();
  assert.ok(!after.blobs.includes(layer.slice(7)), 'the corrupt blob is not stored');
  assert.deepEqual([after.single, after.subids, after.refs, after.tmp], [before.single, before.subids, before.refs, before.tmp]);
});

test('a pull killed with SIGKILL mid-download leaves nothing a later pull would use; the re-run completes', async (t) => {
  const proxy = await startSlowProxy(registry.host);
  t.after(() => proxy.stop());
  const image = await pushThreeLayers(registry, 'killed/three');
  const reference = image.reference.replace(registry.host, proxy.host);
  const before = storeState();
  const child = c.runner.spawnCellblock(['pull', reference]);
  child.stdin.end();
  await proxy.nextBlob(); // the config
  await proxy.nextBlob(); // the first layer: now bytes are flowing, slowly
  child.kill('SIGKILL');
  await once(child, 'close');
  const killed = storeState();
  assert.deepEqual([killed.single, killed.subids, killed.refs], [before.single, before.subids, before.refs], 'no layer and no name from the killed pull');

  const again = await cellblock('pull', reference);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(list('tmp'), [], 'the killed pull’s temporaries were cleaned up');
  const r = await cellblock('run', '--rm', '-u', '0', reference, 'cat', '/data/new');
  assert.deepEqual([r.code, r.stdout], [0, 'new\n']);
});

test('hostile layers write nothing outside the layer directory, and the pull fails with one line', async (t) => {
  const marker = `cellblock-pwned-${randomBytes(4).toString('hex')}`;
  const passwdLinks = statSync('/etc/passwd').nlink;
  const cases = [
    ['dotdot', [{ name: `../${marker}`, content: 'x' }], /entry "\.\.\/cellblock-pwned-[0-9a-f]+" escapes the layer directory/],
    ['absolute', [{ name: `/tmp/${marker}`, content: 'x' }], /entry "\/tmp\/cellblock-pwned-[0-9a-f]+" is an absolute path/],
    ['symlink', [{ name: 'root', type: 'symlink', linkname: '/' }, { name: `root/tmp/${marker}`, content: 'x' }], /entry "root\/tmp\/cellblock-pwned-[0-9a-f]+" goes through the symlink "root"/],
    ['hardlink', [{ name: 'pw', type: 'link', linkname: '/etc/passwd' }], /entry "pw" is a hard link to "\/etc\/passwd", which is an absolute path/],
  ];
  for (const [name, entries, pattern] of cases) {
    await t.test(name, async () => {
      const image = await pushRawImage(registry, `hostile/${name}`, [await tarOf(entries)]);
      const before = storeState();
      assertOneLineError(assert, await cellblock('pull', image.reference), pattern);
      assert.deepEqual(storeState(), { ...before, blobs: storeState().blobs }, 'no layer, name or temporary left');
      assert.ok(!storeState().blobs.includes(image.layers[0].slice(7)), 'the hostile layer blob is not kept');
    });
  }
  // Wherever the hostile entries aimed, nothing arrived.
  for (const place of [`/tmp/${marker}`, join(store(), marker), join(store(), 'tmp', marker), join(store(), '..', marker)]) {
    assert.ok(!existsSync(place), `${place} does not exist`);
  }
  assert.equal(statSync('/etc/passwd').nlink, passwdLinks, 'no new hard link to /etc/passwd');
});

test('two pulls of the same image at once both succeed, with one copy of each layer', async (t) => {
  // An empty store of its own, so both pulls really have every layer to fetch.
  const fresh = new Runner();
  t.after(() => fresh.cleanup());
  const image = await pushThreeLayers(registry, 'twice/three');
  const [first, second] = await Promise.all([0, 1].map(() => fresh.cellblock(['pull', image.reference])));
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  const layers = join(fresh.dataDir, 'cellblock', 'layers');
  const unpacked = readdirSync(layers).flatMap((mode) => readdirSync(join(layers, mode)));
  assert.equal(unpacked.length, image.layers.length, 'one unpacked copy per layer');
  assert.deepEqual(readdirSync(join(fresh.dataDir, 'cellblock', 'tmp')), []);
  const run = await fresh.cellblock(['run', '--rm', '-u', '0', image.reference, 'cat', '/data/new']);
  assert.equal(run.stdout, 'new\n');
});
