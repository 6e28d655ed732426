// save and load round trips in both formats; skopeo must accept what save
// writes (as an unprivileged user, against a real registry on 127.0.0.1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Runner } from '../../scripts/lib/as-user.mjs';
import { startRegistry } from '../helpers/registry.mjs';
import { pushThreeLayers } from '../helpers/images.mjs';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const run = promisify(execFile);
const c = containerFixture();
let registry;
let image;

before(async () => {
  registry = await startRegistry({ auth: 'none' });
  image = await pushThreeLayers(registry, 'archive/three');
  const pulled = await c.runner.cellblock(['pull', image.reference]);
  assert.equal(pulled.code, 0, pulled.stderr);
});
after(() => registry?.stop());

for (const [format, transport] of [['docker-archive', 'docker-archive'], ['oci-archive', 'oci-archive'], ['oci-dir', 'oci']]) {
  test(`save --format ${format} is readable by skopeo, and load brings the same image back`, async (t) => {
    const out = join(c.runner.tempDir('cellblock-save-'), `image.${format}`);
    const saved = await c.runner.cellblock(['save', '--format', format, '-o', out, image.reference]);
    assert.equal(saved.code, 0, saved.stderr);

    const { stdout } = await run('skopeo', ['inspect', `${transport}:${out}`]);
    const inspected = JSON.parse(stdout);
    assert.equal(inspected.Layers.length, 3);
    assert.equal(inspected.Os, 'linux');

    // Into an empty store, then run it: the layers and config made it across.
    const other = new Runner();
    t.after(() => other.cleanup());
    const loaded = await other.cellblock(['load', '-i', out]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stdout, /^Loaded image: .*archive\/three:latest$/m);
    const [before] = JSON.parse((await c.runner.cellblock(['image', 'inspect', image.reference])).stdout);
    const name = loaded.stdout.trim().split('Loaded image: ')[1];
    const [after] = JSON.parse((await other.cellblock(['image', 'inspect', name])).stdout);
    assert.equal(after.Id, before.Id, 'the same config, so the same image id');
    assert.deepEqual(after.RootFS, before.RootFS, 'the same diff_ids');
    const r = await other.cellblock(['run', '--rm', '-u', '0', name, 'sh', '-c', 'cat /data/new; test -e /etc/deleteme || echo gone']);
    assert.deepEqual([r.code, r.stdout], [0, 'new\ngone\n']);
  });
}

test('load of something that is not an image, and save of an unknown image: one line each', async () => {
  const dir = c.runner.tempDir('cellblock-not-an-image-');
  assertOneLineError(assert, await c.runner.cellblock(['load', '-i', dir]), /is neither an OCI image layout \(no oci-layout file\) nor a docker-archive \(no manifest\.json\)/);
  assertOneLineError(assert, await c.runner.cellblock(['load', '-i', join(dir, 'absent.tar')]), /no such file or directory/);
  assertOneLineError(assert, await c.runner.cellblock(['save', '-o', join(dir, 'x.tar'), 'no-such-image']), /save: no such image: no-such-image/);
});

test('load -i . reads an extracted docker-archive from the current directory', async (t) => {
  const dir = c.runner.tempDir('cellblock-extracted-');
  const tarFile = join(dir, 'image.tar');
  assert.equal((await c.runner.cellblock(['save', '-o', tarFile, image.reference])).code, 0);
  const extracted = join(dir, 'x');
  assert.equal((await c.runner.exec('sh', ['-c', `mkdir ${extracted} && tar -xf ${tarFile} -C ${extracted}`])).code, 0);
  const other = new Runner();
  t.after(() => other.cleanup());
  const loaded = await other.cellblock(['load', '-i', '.'], { cwd: extracted });
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, /Loaded image: .*archive\/three:latest/);
});
