// Many cellblock processes at once, as an unprivileged user (issue 8): runs
// of one image while pulls of another download and unpack, then 50 detached
// containers started and removed together. Everything must finish, say
// nothing about locks, and leave the store, the records and the process
// table as a single command at a time would.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry } from '../helpers/registry.mjs';
import { pushSingleLayer, pushThreeLayers } from '../helpers/images.mjs';
import { containerFixture, lingeringProcesses } from './fixture.mjs';

const RUNS = 20;
const PULLS = 5;
const DETACHED = 50;

const c = containerFixture();
let registry;
let one; // pulled before the load: the image that is run
let two; // pulled during the load, five times at once

before(async () => {
  registry = await startRegistry({ auth: 'none' });
  [one, two] = await Promise.all([pushSingleLayer(registry, 'load/one'), pushThreeLayers(registry, 'load/two')]);
  const pulled = await c.runner.cellblock(['pull', one.reference]);
  assert.equal(pulled.code, 0, pulled.stderr);
});
after(() => registry?.stop());

const cellblock = (...args) => c.runner.cellblock(args);
const tmpEntries = () => readdirSync(join(c.runner.dataDir, 'cellblock', 'tmp'));

/** Every result exited 0 and said nothing about a lock (a lock error would be a bug, not a wait). */
function assertAllSucceeded(results, what) {
  results.forEach((r, i) => {
    assert.equal(r.code, 0, `${what} ${i}: exit ${r.code}, stderr: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /lock/i, `${what} ${i}`);
  });
}

test(`${RUNS} runs of one image while ${PULLS} pulls of another download and unpack it`, { timeout: 120_000 }, async () => {
  const runs = Array.from({ length: RUNS }, (_, i) => cellblock('run', '--rm', '--network', 'none', one.reference, 'echo', `run ${i}`));
  const pulls = Array.from({ length: PULLS }, () => cellblock('pull', two.reference));
  const [ran, pulled] = await Promise.all([Promise.all(runs), Promise.all(pulls)]);
  assertAllSucceeded(ran, 'run');
  assertAllSucceeded(pulled, 'pull');
  ran.forEach((r, i) => assert.equal(r.stdout, `run ${i}\n`));

  // The store is as one pull of each would have left it.
  const images = await cellblock('images');
  assert.equal(images.code, 0, images.stderr);
  for (const image of [one, two]) {
    const repository = image.reference.slice(0, image.reference.lastIndexOf(':'));
    const rows = images.stdout.split('\n').filter((line) => line.split(/\s+/)[0] === repository);
    assert.equal(rows.length, 1, `${repository} listed once:\n${images.stdout}`);
  }
  const layers = join(c.runner.dataDir, 'cellblock', 'layers');
  const unpacked = readdirSync(layers).flatMap((mode) => readdirSync(join(layers, mode)));
  assert.equal(new Set(unpacked).size, unpacked.length);
  assert.equal(unpacked.length, one.layers.length + two.layers.length, 'one unpacked copy of each layer');
  const again = await Promise.all([
    cellblock('run', '--rm', '--network', 'none', one.reference, 'echo', 'one'),
    cellblock('run', '--rm', '--network', 'none', '-u', '0', two.reference, 'cat', '/data/new'),
  ]);
  assert.deepEqual(again.map((r) => [r.code, r.stdout]), [[0, 'one\n'], [0, 'new\n']], again.map((r) => r.stderr).join(''));

  assert.deepEqual(tmpEntries(), [], 'no temporaries left once every process has exited');
  assert.deepEqual(lingeringProcesses(c.runner), [], 'no process left');
});

test(`${DETACHED} detached containers started at once all run; rm -f of all of them leaves nothing running`, { timeout: 150_000 }, async () => {
  const started = await Promise.all(Array.from({ length: DETACHED }, () =>
    cellblock('run', '-d', '--network', 'none', one.reference, 'sleep', '1000')));
  assertAllSucceeded(started, 'run -d');
  const ids = started.map((r) => r.stdout.trim());
  assert.equal(new Set(ids).size, DETACHED, 'each has an id of its own');

  const running = await cellblock('ps', '-q', '--no-trunc');
  assert.equal(running.code, 0, running.stderr);
  assert.deepEqual(running.stdout.trim().split('\n').sort(), [...ids].sort(), `ps shows ${DETACHED} running`);

  const removed = await cellblock('rm', '-f', ...ids);
  assert.equal(removed.code, 0, removed.stderr);
  assert.doesNotMatch(removed.stderr, /lock/i);
  const all = await cellblock('ps', '-a', '-q');
  assert.deepEqual([all.code, all.stdout], [0, ''], 'no container left, running or not');
  assert.deepEqual(lingeringProcesses(c.runner), [], 'no process left');
  assert.deepEqual(tmpEntries(), []);
});
