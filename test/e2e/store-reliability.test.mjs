// The store when things go wrong on the machine rather than on the wire: a
// disk that fills up during a pull, cellblock killed with SIGKILL at random
// moments of pull, run, commit and rm, bytes that rot in a blob or a layer —
// and the verbs that look after it: system check [--repair], df, prune.
// As the unprivileged user, against a real registry on 127.0.0.1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRegistry } from '../helpers/registry.mjs';
import { pushSingleLayer, pushThreeLayers } from '../helpers/images.mjs';
import { collect, Runner, waitForLine } from '../../scripts/lib/as-user.mjs';
import { assertOneLineError, containerFixture, hasSubordinateIds, lingeringProcesses } from './fixture.mjs';

const c = containerFixture();
let registry;
let single;
let three;

before(async () => {
  registry = await startRegistry({ auth: 'none' });
  [single, three] = [await pushSingleLayer(registry, 'store/single'), await pushThreeLayers(registry, 'store/three')];
});
after(() => registry?.stop());

const cellblock = (...args) => c.runner.cellblock(args);
const lines = (text) => text.split('\n').filter(Boolean);
const list = (dir) => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

// ---------------------------------------------------------------------------
// A full disk

/**
 * A mount namespace of the test's own with a small tmpfs, and cellblock run
 * in it as the unprivileged user. As root that is `unshare --mount` and
 * cellblock keeps its subordinate ids: newuidmap is setuid root, which only
 * counts in a user namespace that maps root — the host's. Run by an ordinary
 * user it takes `unshare --user --map-current-user --mount`, and inside that
 * namespace newuidmap is refused (it is not privileged there), so layers are
 * unpacked with --userns=single.
 */
async function smallDisk(runner, t) {
  const root = process.getuid() === 0;
  const mountPoint = runner.tempDir('cellblock-small-disk-');
  const holder = spawn('unshare', [...(root ? [] : ['--user', '--map-current-user']), '--mount', '--propagation', 'private', '--', 'sh', '-c', 'echo ready; exec sleep 3600'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => holder.kill('SIGKILL')); // the namespace, and its tmpfs, end with it
  await waitForLine(holder.stdout, /^ready$/); // in its namespaces by then
  const enter = ['-t', String(holder.pid), ...(root ? ['-m'] : ['-U', '-m', '--preserve-credentials']), '--'];
  const disk = {
    userns: root ? [] : ['--userns=single'],
    /** The store as this test sees it: through the holder's root, where the tmpfs is mounted. */
    store: join(`/proc/${holder.pid}/root`, mountPoint, 'cellblock'),
    /** mount(8) with OPTIONS on the mount point, in the holder's namespace. */
    mount: (...args) => {
      const r = spawnSync('nsenter', [...enter, 'mount', ...args, mountPoint], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    },
    /** cellblock ARGS as the runner's user, in the holder's namespace, with the tmpfs as its data dir. */
    cellblock: (args) => {
      const options = runner.spawnOptions({ env: { XDG_DATA_HOME: mountPoint }, stdio: ['pipe', 'pipe', 'pipe'] });
      const { uid, gid } = options;
      delete options.uid;
      delete options.gid;
      const drop = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];
      return collect(spawn('nsenter', [...enter, ...drop, process.execPath, '--', runner.cli, ...args], options));
    },
  };
  return disk;
}

/**
 * A runner with a data dir of its own, removed when test T ends (after
 * BEFORE_CLEANUP, for what must stop first), and `cb(...args)` for its cellblock.
 */
function freshRunner(t, beforeCleanup = async () => {}) {
  const fresh = new Runner();
  t.after(async () => {
    await beforeCleanup(fresh);
    fresh.cleanup();
  });
  return { fresh, cb: (...args) => fresh.cellblock(args) };
}

test('a full disk during a pull: one line naming the call and ENOSPC, and a store a later pull completes', async (t) => {
  const disk = await smallDisk(c.runner, t);
  const { uid, gid } = c.runner.user;
  // Each option set runs out at another step: the blob download, the unpacked
  // layer's data, its directories, its symlinks, the lock files.
  const cases = [['size=16k'], ['size=1500k'], ['size=2500k'], ['size=64m', 'nr_inodes=9'], ['size=64m', 'nr_inodes=14'], ['size=64m', 'nr_inodes=60']];
  for (const [i, options] of cases.entries()) {
    const opts = [...options, `uid=${uid}`, `gid=${gid}`, 'mode=0700'].join(',');
    if (i === 0) disk.mount('-t', 'tmpfs', '-o', opts, 'tmpfs');
    else {
      disk.mount('-o', 'remount,size=64m,nr_inodes=100000', 'tmpfs'); // room to clear it out
      assert.equal(spawnSync('rm', ['-rf', disk.store]).status, 0); // through /proc/PID/root: the holder's mounts
      disk.mount('-o', `remount,${opts}`, 'tmpfs');
    }
    const r = await disk.cellblock(['pull', ...disk.userns, single.reference]);
    assertOneLineError(assert, r, /ENOSPC/);
    assert.doesNotMatch(r.stderr, /no space left on device,|    at /, `cellblock's words, no stack (${options})`);
    assert.deepEqual(list(join(disk.store, 'refs')), [], `no name (${options})`);
    assert.deepEqual(list(join(disk.store, 'tmp')), [], `no temporary left (${options})`);
    for (const mode of ['single', 'subids']) assert.deepEqual(list(join(disk.store, 'layers', mode)), [], `no partial layer (${options})`);
    assert.equal((await disk.cellblock(['images', '-q'])).stdout, '', 'images lists nothing');
  }
  // The same store, with room now: the pull completes and the image runs.
  disk.mount('-o', 'remount,size=64m,nr_inodes=100000', 'tmpfs');
  const again = await disk.cellblock(['pull', '-q', ...disk.userns, single.reference]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(lines((await disk.cellblock(['images', '-q'])).stdout).length, 1);
  const ran = await disk.cellblock(['run', '--rm', ...disk.userns, single.reference, 'echo', 'ran']);
  assert.deepEqual([ran.code, ran.stdout], [0, 'ran\n'], ran.stderr);
  const checked = await disk.cellblock(['system', 'check']);
  assert.deepEqual([checked.code, checked.stdout], [0, 'the store is clean\n'], checked.stderr);
});

// ---------------------------------------------------------------------------
// system check

test('system check finds a corrupted blob and a truncated layer file; --repair removes them, and a pull brings them back', async (t) => {
  const { fresh, cb } = freshRunner(t);
  for (const image of [single, three]) assert.equal((await cb('pull', '-q', image.reference)).code, 0);
  assert.deepEqual([(await cb('system', 'check')).code], [0]);
  const store = join(fresh.dataDir, 'cellblock');
  const mode = hasSubordinateIds(fresh.user) ? 'subids' : 'single';
  const diffIds = (image) => JSON.parse(readFileSync(join(store, 'blobs', image.config.replace(':', '/')), 'utf8')).rootfs.diff_ids;
  const layerDir = (diffId) => join(store, 'layers', mode, diffId.slice(7));

  // single: a byte flipped in its only layer blob, and its unpacked busybox truncated.
  const blob = join(store, 'blobs', single.layers[0].replace(':', '/'));
  const bytes = readFileSync(blob);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(blob, bytes);
  const [singleLayer] = diffIds(single);
  truncateSync(join(layerDir(singleLayer), 'bin/busybox'), 1000);
  // three: a file of its bottom layer truncated; its blob is intact.
  const [threeBottom] = diffIds(three);
  truncateSync(join(layerDir(threeBottom), 'etc/deleteme'), 3);

  const found = await cb('system', 'check');
  assert.equal(found.code, 1, found.stderr);
  assert.deepEqual(lines(found.stdout), [
    `blob ${single.layers[0]}: corrupt: ${lines(found.stdout)[0].split(': corrupt: ')[1]}`,
    ...[singleLayer, threeBottom].sort().map((id) => lines(found.stdout).find((l) => l.startsWith(`layer ${id} (${mode}): changed since it was unpacked`))),
    '3 problems found: cellblock system check --repair removes what is broken',
  ]);
  assert.match(lines(found.stdout)[0], /corrupt: its content hashes to sha256:[0-9a-f]{64}$/);

  const repaired = await cb('system', 'check', '--repair');
  assert.equal(repaired.code, 1, repaired.stderr);
  const said = repaired.stdout;
  assert.match(said, new RegExp(`  repaired: removed blob ${single.layers[0]}`));
  assert.match(said, new RegExp(`  repaired: removed layer ${singleLayer} \\(${mode}\\) \\(a pull fetches it again\\)`));
  assert.match(said, new RegExp(`  repaired: removed layer ${threeBottom} \\(${mode}\\) and unpacked it again from blob ${three.layers[0]}`));
  assert.match(said, /^3 problems found, all repaired$/m);
  assert.deepEqual([(await cb('system', 'check')).stdout], ['the store is clean\n']);

  // three runs at once (its layer came back from its blob); single needs its blob again.
  const ran = await cb('run', '--rm', '-u', '0', three.reference, 'cat', '/etc/passwd', '/data/new');
  assert.equal(ran.code, 0, ran.stderr);
  assertOneLineError(assert, await cb('run', '--rm', '--pull=never', single.reference, 'true'), /is missing from the store: pull the image again/);
  assert.equal((await cb('pull', '-q', single.reference)).code, 0);
  const busybox = await cb('run', '--rm', single.reference, 'sh', '-c', 'wc -c < /bin/busybox');
  assert.equal(busybox.stdout.trim(), String(statSync('/bin/busybox').size), 'the whole busybox, unpacked anew');
  assert.equal((await cb('system', 'check')).code, 0);
});

test('system check: names whose manifest is gone, stale temporaries and containers without their image; --repair removes them', async (t) => {
  const { fresh, cb } = freshRunner(t);
  assert.equal((await cb('pull', '-q', single.reference)).code, 0);
  assert.equal((await cb('tag', single.reference, 'localhost/other:1')).code, 0);
  assert.equal((await cb('run', '--name', 'orphan', single.reference, 'true')).code, 0);
  const store = join(fresh.dataDir, 'cellblock');
  // A temporary of a process that is gone (pid 2^22, above any pid_max default), and the manifest deleted by hand.
  mkdirSync(join(store, 'tmp', '4194304-layer-deadbeef'));
  fresh.chownTree(join(store, 'tmp'));
  spawnSync('rm', [join(store, 'blobs', single.digest.replace(':', '/'))]);

  const found = await cb('system', 'check');
  assert.equal(found.code, 1);
  assert.deepEqual(lines(found.stdout).slice(0, -1).sort(), [
    `container orphan (${lines((await cb('ps', '-aq')).stdout)[0]}): its image's manifest ${single.digest} is gone`,
    `name ${single.reference}: its manifest ${single.digest} is missing or corrupt`,
    `name localhost/other:1: its manifest ${single.digest} is missing or corrupt`,
    'tmp/4194304-layer-deadbeef: left by cellblock process 4194304, which no longer runs',
  ].sort());
  const repaired = await cb('system', 'check', '--repair');
  assert.match(repaired.stdout, /repaired: removed container orphan/);
  assert.match(repaired.stdout, /^4 problems found, all repaired$/m);
  assert.equal((await cb('system', 'check')).stdout, 'the store is clean\n');
  assert.deepEqual([(await cb('ps', '-aq')).stdout, (await cb('images', '-q')).stdout], ['', '']);
});

// ---------------------------------------------------------------------------
// df and prune

/** docker's decimal sizes back to bytes: "6.145MB" → 6145000. */
function bytesOf(text) {
  const [, number, unit] = text.match(/^([\d.]+)(B|kB|MB|GB)$/);
  return Number(number) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[unit];
}

function dfRows(stdout) {
  const rows = {};
  for (const line of lines(stdout).slice(1)) {
    const [, type, total, active, size, reclaimable] = line.match(/^(\S+(?: \S+)?)\s{2,}(\d+)\s+(\d+)\s+(\S+)\s+(\S+)/);
    rows[type] = { total: Number(total), active: Number(active), size: bytesOf(size), reclaimable: bytesOf(reclaimable) };
  }
  return rows;
}

test('system df: counts, sizes from the store, and what is reclaimable', async (t) => {
  const { fresh, cb } = freshRunner(t);
  const empty = dfRows((await cb('system', 'df')).stdout);
  assert.deepEqual(Object.keys(empty), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  assert.deepEqual(empty.Images, { total: 0, active: 0, size: 0, reclaimable: 0 });

  for (const image of [single, three]) assert.equal((await cb('pull', '-q', image.reference)).code, 0);
  assert.equal((await cb('run', '--name', 'df-user', '-v', 'df-vol:/v', single.reference, 'sh', '-c', 'head -c 5000 /bin/busybox > /v/x; head -c 3000 /bin/busybox > /y')).code, 0);
  assert.equal((await cb('volume', 'create', 'df-idle')).code, 0);

  // What the store holds, counted here: every blob's bytes, every layer's file bytes (its sum).
  const store = join(fresh.dataDir, 'cellblock');
  const blobs = list(join(store, 'blobs', 'sha256')).reduce((sum, hex) => sum + statSync(join(store, 'blobs', 'sha256', hex)).size, 0);
  const sums = join(store, 'layer-sums');
  const layers = list(sums).flatMap((mode) => list(join(sums, mode)).map((hex) => JSON.parse(readFileSync(join(sums, mode, hex), 'utf8')).survey.bytes));
  const expected = blobs + layers.reduce((a, b) => a + b, 0);

  const r = await cb('system', 'df');
  assert.equal(r.code, 0, r.stderr);
  const rows = dfRows(r.stdout);
  assert.equal(rows.Images.total, 2);
  assert.equal(rows.Images.active, 1, 'single has a container');
  assert.ok(Math.abs(rows.Images.size - expected) <= expected * 0.001, `images ${rows.Images.size} ≈ ${expected}`);
  assert.ok(rows.Images.reclaimable > 0 && rows.Images.reclaimable < rows.Images.size, 'three is reclaimable, single is not');
  assert.match(r.stdout, /^Images\s.*\(\d+%\)$/m);
  assert.equal(rows.Containers.total, 1);
  assert.equal(rows.Containers.active, 0);
  assert.ok(rows.Containers.size >= 3000 && rows.Containers.reclaimable === rows.Containers.size, 'the stopped container: its written file, all reclaimable');
  assert.deepEqual([rows['Local Volumes'].total, rows['Local Volumes'].active, rows['Local Volumes'].size, rows['Local Volumes'].reclaimable], [2, 1, 5000, 0]);
  assert.deepEqual(rows['Build Cache'], { total: 0, active: 0, size: 0, reclaimable: 0 });

  const verbose = await cb('system', 'df', '-v');
  assert.match(verbose.stdout, /^Images space usage:$/m);
  assert.match(verbose.stdout, new RegExp(`^${single.reference.replace(/[.]/g, '\\.')}\\s+[0-9a-f]{12}\\s+\\S+\\s+\\S+\\s+\\S+\\s+1$`, 'm'));
  assert.match(verbose.stdout, /^df-vol\s+1\s+5kB$/m);
});

test('system prune: refuses without -f off a terminal; removes stopped containers, unused networks, dangling images (-a unused ones, --volumes volumes) and nothing else', async (t) => {
  const { fresh, cb } = freshRunner(t, (runner) => runner.cellblock(['rm', '-f', 'prune-live']));
  for (const image of [single, three]) assert.equal((await cb('pull', '-q', image.reference)).code, 0);
  const live = await cb('run', '-d', '--name', 'prune-live', '--network', 'none', '-v', 'kept:/k', three.reference, 'sleep', '600');
  assert.equal(live.code, 0, live.stderr);
  assert.equal((await cb('run', '--name', 'prune-stopped', single.reference, 'sh', '-c', 'echo x > /x')).code, 0);
  const dangling = (await cb('commit', 'prune-stopped')).stdout.trim(); // no name: a dangling image
  assert.equal((await cb('volume', 'create', 'idle')).code, 0);
  assert.equal((await cb('network', 'create', 'idle-net')).code, 0);
  const state = async () => ({
    containers: lines((await cb('ps', '-a', '--format', '{{.Names}}')).stdout).sort(),
    images: lines((await cb('images')).stdout).slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(':')).sort(),
    volumes: lines((await cb('volume', 'ls', '-q')).stdout).sort(),
    networks: lines((await cb('network', 'ls', '-q')).stdout).sort(),
  });
  const before = await state();
  assert.ok(before.images.includes('<none>:<none>'), 'the committed image is dangling');

  assertOneLineError(assert, await cb('system', 'prune'), /stdin is not a terminal .*use -f/);
  assert.deepEqual(await state(), before, 'refused: nothing removed');

  const pruned = await cb('system', 'prune', '-f');
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Networks:\nidle-net\n\nDeleted Images:\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: \d/);
  assert.ok(pruned.stdout.includes(`deleted: ${dangling}`));
  const after = await state();
  assert.deepEqual(after.containers, ['prune-live']);
  assert.deepEqual(after.images, before.images.filter((i) => i !== '<none>:<none>'), 'tagged images stay, used or not');
  assert.deepEqual(after.volumes, before.volumes, 'volumes only with --volumes');
  assert.ok(!after.networks.includes('idle-net'));

  const all = await cb('system', 'prune', '-a', '--volumes', '-f');
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^Deleted Volumes:\nidle\n\nDeleted Images:\nuntagged: 127\.0\.0\.1:\d+\/store\/single:latest\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: [1-9]/);
  const last = await state();
  assert.deepEqual(last.containers, ['prune-live']);
  assert.equal(last.images.length, 1, 'the image a container uses stays');
  assert.deepEqual(last.volumes, ['kept']);
  const still = await cb('exec', 'prune-live', 'true');
  assert.equal(still.code, 0, 'the running container was not touched');
  assert.equal((await cb('system', 'check')).code, 0);
});

// ---------------------------------------------------------------------------
// SIGKILL between two steps: windows of microseconds, which random kills
// almost never hit, so the states they leave are made here by hand.

test('what a kill between two steps leaves: a name whose record is gone is free again; a container without storage commits', async (t) => {
  const { fresh, cb } = freshRunner(t);
  assert.equal((await cb('pull', '-q', single.reference)).code, 0);
  const records = join(fresh.runtimeDir, 'cellblock', 'containers');

  // rm killed after removing the record, before releasing the name.
  assert.equal((await cb('run', '--name', 'half-removed', single.reference, 'true')).code, 0);
  const [gone] = lines((await cb('ps', '-aq', '--no-trunc')).stdout);
  spawnSync('rm', [join(records, `${gone}.json`)]);
  const reused = await cb('run', '--name', 'half-removed', single.reference, 'echo', 'mine');
  assert.deepEqual([reused.code, reused.stdout], [0, 'mine\n'], reused.stderr);

  // run killed after writing its record, before making its storage.
  const [id] = lines((await cb('ps', '-aq', '--no-trunc')).stdout);
  spawnSync('rm', ['-rf', join(fresh.dataDir, 'cellblock', 'containers', id)]);
  const committed = await cb('commit', 'half-removed', 'localhost/unchanged:1');
  assert.equal(committed.code, 0, committed.stderr);
  assert.equal((await cb('run', '--rm', 'localhost/unchanged:1', 'echo', 'ok')).stdout, 'ok\n');
  assert.equal((await cb('rm', 'half-removed')).code, 0);
  assert.equal((await cb('system', 'check')).code, 0);
});

// ---------------------------------------------------------------------------
// SIGKILL at random moments

/** A small seeded generator (mulberry32): the same seed, the same kills. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('SIGKILL at random moments of pull, run, commit and rm never leaves a store a later command trips on', async (t) => {
  const seed = Number(process.env.CELLBLOCK_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const kills = Number(process.env.CELLBLOCK_KILLS ?? 32);
  t.diagnostic(`kill loop seed ${seed} (replay: CELLBLOCK_KILL_SEED=${seed})`);
  process.stderr.write(`store-reliability: kill loop seed ${seed}\n`);
  const next = random(seed);
  const pick = (items) => items[Math.floor(next() * items.length)];
  const { fresh, cb } = freshRunner(t);
  const images = [single.reference, three.reference];
  let serial = 0;
  const containers = async () => lines((await cb('ps', '-aq', '--no-trunc')).stdout);

  // Each step: ARGS for the attempt that is killed, and for the one after it that must succeed.
  const steps = {
    pull: async () => {
      const image = pick(images);
      await cb('rmi', '-f', image); // so the pull has work to do (a no-op when a kill left it half-pulled)
      return { killed: ['pull', image], again: ['pull', '-q', image] };
    },
    run: async () => {
      const n = serial++;
      const image = pick(images);
      return { killed: ['run', '--name', `k${n}`, '-u', '0', image, 'sh', '-c', 'echo x > /x'], again: ['run', '--name', `k${n}-again`, '-u', '0', image, 'sh', '-c', 'echo x > /x'] };
    },
    commit: async () => {
      const [id] = await containers();
      if (!id) return undefined;
      const n = serial++;
      return { killed: ['commit', id, `localhost/kill:${n}`], again: ['commit', id, `localhost/kill:${n}-again`] };
    },
    rm: async () => {
      const id = pick(await containers());
      if (!id) return undefined;
      return { killed: ['rm', '-f', id], again: ['rm', '-f', id], gone: true };
    },
  };
  // How long each step took when it last ran to its end, in ms: the next kill
  // of that verb is drawn within it (a first guess until then).
  const spans = { pull: 500, run: 400, commit: 400, rm: 150 };
  const log = [];
  let killed = 0; // attempts still running when the signal came: a step that ended first is not counted
  for (let i = 0; killed < kills && i < kills * 3; i++) {
    const verb = pick(Object.keys(steps));
    const step = await steps[verb]();
    if (!step) continue;
    const delay = Math.floor(next() * spans[verb]);
    const child = fresh.spawnCellblock(step.killed);
    child.stdin.end();
    const ended = once(child, 'close');
    await Promise.race([sleep(delay), ended]);
    const running = child.exitCode === null && child.signalCode === null;
    child.kill('SIGKILL'); // our own child, by its pid (a no-op if it already ended)
    await ended;
    if (running) killed++;
    log.push(`${verb}@${delay}ms${running ? '' : ' (had ended)'}`);
    const started = Date.now();
    const again = await cb(...step.again);
    spans[verb] = Date.now() - started;
    // rm after a kill that came after the record was gone: "no such container" is the truth, not a failure.
    const ok = again.code === 0 || (step.gone && /no such container/.test(again.stderr));
    assert.ok(ok, `after ${log.join(', ')}: cellblock ${step.again.join(' ')} failed (seed ${seed}): ${again.stderr}`);
  }
  t.diagnostic(`kills: ${log.join(', ')}`);
  assert.ok(killed >= Math.min(kills, 30), `at least 30 kills (${killed})`);

  // Afterwards every verb works…
  for (const image of images) assert.equal((await cb('pull', '-q', image)).code, 0, `pull ${image}`);
  const ran = await cb('run', '--name', 'after', '-u', '0', three.reference, 'cat', '/data/new');
  assert.deepEqual([ran.code, ran.stdout], [0, 'new\n'], ran.stderr);
  const committed = await cb('commit', 'after', 'localhost/after:1');
  assert.equal(committed.code, 0, committed.stderr);
  for (const verb of [['images'], ['ps', '-a'], ['rm', 'after']]) assert.equal((await cb(...verb)).code, 0, verb.join(' '));
  // …and the store checks clean, or is repaired to clean (what a killed
  // command may leave: temporaries of a dead pid, which the next pull clears).
  let check = await cb('system', 'check');
  if (check.code !== 0) {
    t.diagnostic(`check before repair: ${check.stdout.replaceAll('\n', ' | ')}`);
    assert.doesNotMatch(check.stdout, /^(blob|layer|name) /m, `only leftovers, nothing corrupt (seed ${seed})`);
    assert.equal((await cb('system', 'check', '--repair')).code, 1);
    check = await cb('system', 'check');
  }
  assert.deepEqual([check.code, check.stdout], [0, 'the store is clean\n'], `seed ${seed}`);
  const all = await containers();
  if (all.length > 0) assert.equal((await cb('rm', '-f', ...all)).code, 0);
  assert.deepEqual(lingeringProcesses(fresh), [], 'no cellblock process outlives the loop');
});
