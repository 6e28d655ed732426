// npm run bench — three tables, all as the same unprivileged user, in one run:
//
//  1. start latency of a whole `run … true`, side by side with crun,
//     bubblewrap and podman on the same busybox root filesystem;
//  2. pull + unpack of a Debian image (test/helpers/debian.mjs) from a
//     registry on 127.0.0.1, each from an empty store: cellblock, podman, and
//     the by-hand baseline `skopeo copy` + `tar -xzf`;
//  3. `run --rm IMAGE true` on the Debian image vs the busybox one: layers are
//     mounted, not copied, so start time must not grow with the image's size;
//  4. what each detached container costs: the start time of `run -d`, one
//     after another with up to 50 running, and the memory of the host
//     processes that stay with each idle container (cellblock's supervisor
//     and unshare; podman's conmon; bwrap's own two) — not its payload's.
//
// Peers that are not installed are listed as such. Rounds are interleaved so
// machine noise hits every tool alike.
//
// BENCH_RUNS=N sets the measured runs per tool of tables 1 and 3 (default 15,
// after 2 warm-ups); BENCH_PULL_RUNS=N those of table 2 (default 3, no
// warm-up: every run starts from an empty store anyway); BENCH_CONTAINERS=N
// the detached containers of table 4 (default 50).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runner } from './lib/as-user.mjs';
import { buildBusyboxRootfs } from './lib/rootfs.mjs';
import { startRegistry } from '../test/helpers/registry.mjs';
import { pushSingleLayer } from '../test/helpers/images.mjs';
import { pushDebian } from '../test/helpers/debian.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 15);
const PULL_RUNS = Number(process.env.BENCH_PULL_RUNS || 3);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS || 50);
const WARMUP = 2;
// Bounds: a run that takes longer has hung (a start takes well under a second here, a pull seconds).
const START_TIMEOUT_MS = 30_000;
const PULL_TIMEOUT_MS = 5 * 60_000;

const runner = new Runner();
const work = runner.tempDir('cellblock-bench-');
const rootfs = buildBusyboxRootfs(join(work, 'rootfs'));
runner.chownTree(rootfs);

const installed = (tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

// crun (also under podman) refuses a host whose cgroup2 mount has controllers
// beside cgroup v1 ones ("hybrid mode"). We may not change the host's mounts,
// so on such a host the peers run in a private mount namespace where a tmpfs
// hides /sys/fs/cgroup/unified. That wrapper has a cost: it is measured alone.
// (`podman pull` never starts a runtime, so table 2 needs no wrapper.)
const unifiedControllers = '/sys/fs/cgroup/unified/cgroup.controllers';
const hybrid = existsSync(unifiedControllers) && readFileSync(unifiedControllers, 'utf8').trim() !== '';
const HIDE_V2 = 'mount -t tmpfs none /sys/fs/cgroup/unified';
const hideV2 = (command) => ['unshare', '--user', '--map-current-user', '--keep-caps', '--mount', 'sh', '-c', `${HIDE_V2} && exec "$@"`, 'sh', ...command];

async function crunBundle() {
  const bundle = join(work, 'crun-bundle');
  execFileSync('mkdir', ['-p', bundle]);
  runner.chownTree(bundle);
  const spec = await runner.exec('crun', ['spec', '--rootless'], { cwd: bundle });
  if (spec.code !== 0) throw new Error(`crun spec --rootless: ${spec.stderr.trim()}`);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  Object.assign(config.process, { args: ['true'], terminal: false });
  config.root = { path: rootfs, readonly: false };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
  runner.chownTree(bundle);
  return bundle;
}

function podmanRuntime() {
  // podman enables --cgroups=disabled only for a runtime it knows by name: "crun".
  const dir = join(work, 'runtime');
  execFileSync('mkdir', ['-p', dir]);
  const wrapper = join(dir, 'crun');
  writeFileSync(wrapper, `#!/bin/sh\nexec unshare --mount sh -c '${HIDE_V2} && exec /usr/bin/crun "$@"' crun "$@"\n`);
  chmodSync(wrapper, 0o755);
  chmodSync(dir, 0o755);
  return wrapper;
}

const tools = [];
tools.push({ name: 'node -e 0 (one Node start, for scale)', argv: () => [process.execPath, '-e', '0'] });
// Like for like with podman --network none below; the default network (pasta) costs its own row.
tools.push({ name: 'cellblock run --rm --network none', argv: () => [process.execPath, '--', runner.cli, 'run', '--rm', '--network', 'none', '--rootfs', rootfs, 'true'], baseline: true });
tools.push({ name: 'cellblock run --rm (default network)', argv: () => [process.execPath, '--', runner.cli, 'run', '--rm', '--rootfs', rootfs, 'true'] });
if (installed('crun')) {
  const bundle = await crunBundle();
  let n = 0;
  const crun = () => ['crun', '--cgroup-manager=disabled', '--root', join(work, 'crun-state'), 'run', '--bundle', bundle, `bench-${process.pid}-${n++}`];
  tools.push({ name: `crun run (rootless spec)${hybrid ? ' †' : ''}`, argv: () => (hybrid ? hideV2(crun()) : crun()) });
} else tools.push({ name: 'crun run', missing: 'not installed (apt-get install crun)' });
if (installed('bwrap')) {
  tools.push({ name: 'bwrap --unshare-all', argv: () => ['bwrap', '--unshare-all', '--bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', 'true'] });
} else tools.push({ name: 'bwrap --unshare-all', missing: 'not installed (apt-get install bubblewrap)' });
if (installed('podman') && installed('crun')) {
  const runtime = hybrid ? ['--runtime', podmanRuntime()] : [];
  tools.push({ name: `podman run --rm --network none${hybrid ? ' †' : ''}`, argv: () => ['podman', ...runtime, 'run', '--rm', '--network', 'none', '--cgroups=disabled', '--rootfs', rootfs, 'true'] });
} else tools.push({ name: 'podman run --rm', missing: 'not installed (apt-get install podman crun)' });
if (hybrid) tools.push({ name: '† the mount-namespace wrapper alone', argv: () => hideV2(['true']) });

/** Run ARGV as our user, bounded; throws with its last stderr line unless it exits 0. */
async function execOk(name, argv, { env = {}, timeout = START_TIMEOUT_MS } = {}) {
  const [file, ...args] = argv;
  const result = await runner.exec(file, args, { env, timeout, killSignal: 'SIGKILL' });
  if (result.signal === 'SIGKILL') throw new Error(`${name}: no end within ${timeout / 1000} s (killed)`);
  if (result.code !== 0) throw new Error(`${name}: exit ${result.code}: ${result.stderr.trim().split('\n').at(-1)}`);
  return result;
}

/** Wall time of ARGV, whole process, in ms. */
async function timeArgv(name, argv, options) {
  const start = process.hrtime.bigint();
  await execOk(name, argv, options);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// A tool is timed by its own once() when a run needs untimed set-up and
// clean-up around it (a fresh store); otherwise its argv is timed as it is.
const timeOnce = (tool) => (tool.once ? tool.once() : timeArgv(tool.name, tool.argv()));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Interleaved rounds: every tool once per round; a tool that fails once is out, with its reason. */
async function measure(list, runs, warmup) {
  const runnable = list.filter((t) => !t.missing);
  for (const tool of runnable) tool.samples = [];
  for (let round = 0; round < warmup + runs; round++) {
    for (const tool of runnable) {
      if (tool.failed) continue;
      try {
        const ms = await timeOnce(tool);
        if (round >= warmup) tool.samples.push(ms);
      } catch (error) {
        tool.failed = error.message;
      }
    }
  }
}

/** Median, min and ratio to the baseline tool, in ms or (SCALE 1000) s; one aligned table. */
function printTable(title, list, { unit = 'ms', scale = 1, ratio = '× cellblock' } = {}) {
  const baseline = list.find((t) => t.baseline);
  const base = baseline.samples?.length ? median(baseline.samples) : NaN;
  const rows = [['', `median ${unit}`, `min ${unit}`, ratio]];
  for (const tool of list) {
    if (tool.missing || tool.failed) rows.push([tool.name, '-', '-', tool.missing ?? `failed: ${tool.failed}`]);
    else rows.push([tool.name, (median(tool.samples) / scale).toFixed(scale === 1 ? 1 : 2), (Math.min(...tool.samples) / scale).toFixed(scale === 1 ? 1 : 2), (median(tool.samples) / base).toFixed(2)]);
  }
  printRows(title, rows);
}

/** ROWS (the first is the header) as columns: the first left-aligned, the others right-aligned. */
function printRows(title, rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`${title}\n`);
  for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ').trimEnd());
}

// ---------------------------------------------------------------------------
// Tables 2 and 3: images from a registry on 127.0.0.1.

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** rm -rf DIR as our user; chmod first, since a by-hand tar leaves 0555 directories (/proc, /sys) that not even their owner may empty. */
const removeAsUser = (dir) => execOk('rm -rf', ['sh', '-c', 'chmod -R u+rwX "$1" 2>/dev/null; rm -rf "$1"', 'sh', dir]);

/**
 * Flush dirty pages (untimed) before a timed pull. Each run writes ~120 MB and
 * then deletes it; the kernel writes that back later, in the background, so
 * without this a run would compete for the disk with its predecessor's
 * writeback and the order of the tools would decide part of their times.
 */
const settle = () => execFileSync('sync');

/** The three ways to get the image onto disk, each into a store of its own made (untimed) per run. */
function pullTools(debian) {
  const list = [];
  list.push({
    name: 'cellblock pull', baseline: true,
    async once() {
      const data = runner.tempDir('cellblock-bench-pull-');
      const env = { XDG_DATA_HOME: data };
      try {
        settle();
        return await timeArgv(this.name, [process.execPath, '--', runner.cli, 'pull', debian.reference], { env, timeout: PULL_TIMEOUT_MS });
      } finally {
        // Its layers hold files of subordinate ids: cellblock removes them from inside its user namespace.
        await execOk('cellblock rmi', [process.execPath, '--', runner.cli, 'rmi', debian.reference], { env }).catch(() => {});
        await removeAsUser(data);
      }
    },
  });
  if (installed('podman')) {
    list.push({
      // overlay, the driver closest to cellblock's layout (unpacked layers, mounted):
      // given a --root of its own and no storage.conf, podman 4.3 would pick vfs.
      name: 'podman pull (overlay storage)',
      async once() {
        const store = runner.tempDir('cellblock-bench-podman-');
        const podman = ['podman', '--root', join(store, 'root'), '--runroot', join(store, 'runroot'), '--storage-driver', 'overlay'];
        try {
          settle();
          return await timeArgv(this.name, [...podman, 'pull', '--quiet', '--tls-verify=false', debian.reference], { timeout: PULL_TIMEOUT_MS });
        } finally {
          // Files of subordinate ids again: remove them inside podman's user namespace.
          await execOk('podman unshare rm', [...podman, 'unshare', 'rm', '-rf', store]).catch(() => {});
          await removeAsUser(store);
        }
      },
    });
  } else list.push({ name: 'podman pull', missing: 'not installed (apt-get install podman)' });
  if (installed('skopeo')) {
    list.push({
      // The floor: download and gunzip + untar, nothing else. Owners are not
      // kept (tar as an ordinary user writes every file as its own).
      name: 'skopeo copy + tar -xzf (by hand, owners not kept)',
      async once() {
        const dir = runner.tempDir('cellblock-bench-byhand-');
        try {
          settle();
          const start = process.hrtime.bigint();
          await execOk('skopeo copy', ['skopeo', 'copy', '--quiet', '--src-tls-verify=false', `docker://${debian.reference}`, `oci:${join(dir, 'oci')}:latest`], { timeout: PULL_TIMEOUT_MS });
          const blob = (digest) => join(dir, 'oci/blobs/sha256', digest.slice('sha256:'.length));
          const [{ digest }] = JSON.parse(readFileSync(join(dir, 'oci/index.json'), 'utf8')).manifests;
          const rootfsDir = join(dir, 'rootfs');
          await execOk('mkdir', ['mkdir', rootfsDir]);
          for (const layer of JSON.parse(readFileSync(blob(digest), 'utf8')).layers) {
            await execOk('tar -xzf', ['tar', '-xzf', blob(layer.digest), '-C', rootfsDir], { timeout: PULL_TIMEOUT_MS });
          }
          return Number(process.hrtime.bigint() - start) / 1e6;
        } finally {
          await removeAsUser(dir);
        }
      },
    });
  } else list.push({ name: 'skopeo copy + tar', missing: 'not installed (apt-get install skopeo)' });
  return list;
}

/**
 * Rootless podman keeps its user namespace alive with a "pause" process
 * (catatonit -P) that outlives every podman command; its pid is in the
 * runtime dir we gave podman, so it is ours to stop (and only it).
 */
function stopPodmanPause() {
  const pidFile = join(runner.runtimeDir, 'libpod/tmp/pause.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('catatonit')) process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

async function imageTables() {
  console.log('');
  let registry;
  try {
    registry = await startRegistry({ auth: 'none' });
  } catch (error) {
    console.log(`Pull and image tables skipped: ${error.message}`);
    return;
  }
  try {
    let debian;
    let busybox;
    try {
      [debian, busybox] = await Promise.all([pushDebian(registry, 'bench/debian'), pushSingleLayer(registry, 'bench/busybox')]);
    } catch (error) {
      debian = { skip: error.message }; // a failed build (debootstrap, umoci) or push: its reason, then on
    }
    if (debian.skip) {
      console.log(`Pull and image tables skipped: ${debian.skip.replace(/^SKIP: /, '')}`);
      return;
    }
    const built = debian.cached ? `cached, built ${debian.builtAt.slice(0, 10)} in ${debian.buildSeconds} s` : `built now in ${debian.buildSeconds} s`;
    const layer = (digest) => statSync(registry.blobPath(digest)).size;
    console.log(`Debian ${debian.debianVersion} (debootstrap --variant=minbase ${debian.suite}; ${built}): one layer, ${mb(debian.layerBytes)} gzip, ${mb(debian.rootfsBytes)} unpacked.`);
    console.log(`busybox: one layer, ${mb(layer(busybox.layers[0]))} gzip.\n`);

    const pulls = pullTools(debian);
    await measure(pulls, PULL_RUNS, 0);
    printTable(`Pull + unpack of the Debian image from a registry on 127.0.0.1, each from an empty store, ${PULL_RUNS} runs each, as ${runner.user.name}:`, pulls, { unit: 's', scale: 1000 });

    // Both images in the runner's own store (runner.cleanup() removes it), pulled once, untimed.
    for (const image of [busybox, debian]) {
      await execOk('cellblock pull', [process.execPath, '--', runner.cli, 'pull', image.reference], { timeout: PULL_TIMEOUT_MS });
    }
    const starts = [
      { name: `cellblock run --rm busybox true (${mb(layer(busybox.layers[0]))} gzip)`, argv: () => [process.execPath, '--', runner.cli, 'run', '--rm', busybox.reference, 'true'], baseline: true },
      { name: `cellblock run --rm debian true (${mb(debian.layerBytes)} gzip)`, argv: () => [process.execPath, '--', runner.cli, 'run', '--rm', debian.reference, 'true'] },
    ];
    await measure(starts, RUNS, WARMUP);
    console.log('');
    printTable(`Start latency by image, ${RUNS} runs each (after ${WARMUP} warm-ups): layers are mounted, not copied, so the ratio should be ~1:`, starts, { ratio: '× busybox' });
  } finally {
    await registry.stop();
  }
}

// ---------------------------------------------------------------------------
// Table 4: what each detached container costs.

/** Pids of PID's children (of every thread). */
function childrenOf(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return []; // gone
  }
}

/**
 * What a runtime keeps running for one container: ROOT (its supervisor,
 * conmon, bwrap…) and every process below it, but the payload itself — the
 * `sleep` every peer runs.
 */
function overheadProcesses(root) {
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]));
  return all.filter((pid) => {
    try {
      return !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\0');
    } catch {
      return false;
    }
  });
}

/** Rss, Pss and private (clean + dirty) kB of PID, from /proc/PID/smaps_rollup. */
function memoryOf(pid) {
  try {
    const kb = Object.fromEntries(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')
      .map((line) => /^(\w+):\s+(\d+) kB/.exec(line)).filter(Boolean).map(([, key, value]) => [key, Number(value)]));
    return { rss: kb.Rss, pss: kb.Pss, private: kb.Private_Clean + kb.Private_Dirty };
  } catch {
    return { rss: 0, pss: 0, private: 0 }; // a kernel thread, or gone
  }
}

/**
 * The peers, each as { name, start() → container, root(container) → pid of
 * what stays with it (undefined: nothing), remove(containers) }.
 */
function overheadPeers() {
  const peers = [];
  const cellblock = (...args) => [process.execPath, '--', runner.cli, ...args];
  peers.push({
    name: 'cellblock run -d --network none', baseline: true,
    start: async () => (await execOk('cellblock run -d', cellblock('run', '-d', '--network', 'none', '--rootfs', rootfs, 'sleep', '1000'))).stdout.trim(),
    root: (id) => JSON.parse(readFileSync(join(runner.runtimeDir, 'cellblock', 'containers', `${id}.json`), 'utf8')).supervisorPid,
    remove: (ids) => execOk('cellblock rm -f', cellblock('rm', '-f', ...ids), { timeout: PULL_TIMEOUT_MS }),
  });
  if (installed('podman') && installed('crun')) {
    const runtime = hybrid ? ['--runtime', podmanRuntime()] : [];
    const podman = (...args) => ['podman', ...runtime, ...args];
    peers.push({
      name: `podman run -d --network none${hybrid ? ' †' : ''}`,
      start: async () => (await execOk('podman run -d', podman('run', '-d', '--network', 'none', '--cgroups=disabled', '--rootfs', rootfs, 'sleep', '1000'))).stdout.trim(),
      root: async (id) => Number((await execOk('podman inspect', podman('inspect', '--format', '{{.State.ConmonPid}}', id))).stdout.trim()),
      remove: (ids) => execOk('podman rm -f', podman('rm', '-f', '-t', '0', ...ids), { timeout: PULL_TIMEOUT_MS }),
    });
  } else peers.push({ name: 'podman run -d', missing: 'not installed (apt-get install podman crun)' });
  if (installed('crun')) {
    let n = 0;
    const crun = (...args) => ['crun', '--cgroup-manager=disabled', '--root', join(work, 'crun-state'), ...args];
    const wrap = (argv) => (hybrid ? hideV2(argv) : argv);
    peers.push({
      // --detach: crun exits once the payload runs; nothing of crun stays (no monitor, unlike conmon).
      name: `crun run --detach${hybrid ? ' †' : ''}`,
      async start() {
        const id = `bench-detached-${process.pid}-${n++}`;
        await execOk('crun run --detach', wrap(crun('run', '--detach', '--bundle', await sleepBundle(), id)));
        return id;
      },
      root: () => undefined,
      remove: async (ids) => {
        for (const id of ids) await execOk('crun delete', wrap(crun('delete', '--force', id))).catch(() => {});
      },
    });
  } else peers.push({ name: 'crun run --detach', missing: 'not installed (apt-get install crun)' });
  if (installed('bwrap')) {
    peers.push({
      // bwrap cannot detach: started in the background, it stays as the payload's parent (and its own pid 1).
      name: 'bwrap --unshare-all (in the background)',
      start: () => startBwrap(),
      root: (child) => child.pid,
      remove: async (children) => {
        for (const child of children) child.kill('SIGKILL'); // ours, by pid; --die-with-parent takes the rest
      },
    });
  } else peers.push({ name: 'bwrap --unshare-all', missing: 'not installed (apt-get install bubblewrap)' });
  return peers;
}

let sleepBundlePath;
/** crun's bundle of table 1, running `sleep 1000` (made once). */
async function sleepBundle() {
  if (sleepBundlePath) return sleepBundlePath;
  const bundle = await crunBundle();
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  config.process.args = ['sleep', '1000'];
  sleepBundlePath = join(work, 'crun-sleep-bundle');
  execFileSync('mkdir', ['-p', sleepBundlePath]);
  writeFileSync(join(sleepBundlePath, 'config.json'), JSON.stringify(config));
  runner.chownTree(sleepBundlePath);
  return sleepBundlePath;
}

/** bwrap in the background, resolved once its payload runs (bwrap's --json-status-fd says "child-pid"). */
function startBwrap() {
  const args = ['--unshare-all', '--die-with-parent', '--json-status-fd', '3', '--bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', 'sleep', '1000'];
  const child = spawn('bwrap', args, runner.spawnOptions({ stdio: ['ignore', 'ignore', 'ignore', 'pipe'] }));
  return new Promise((resolve, reject) => {
    let status = '';
    const timer = setTimeout(() => fail(new Error(`bwrap: no child-pid within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`bwrap exited (${code}) before its payload ran`)));
    child.stdio[3].on('data', (chunk) => {
      status += chunk;
      if (!status.includes('"child-pid"')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(child);
    });
  });
}

/**
 * For each peer in turn: CONTAINERS detached containers started one after
 * another (each start timed), then, with all of them idle, the memory of what
 * stays with each; then all removed. A peer that fails is shown with why.
 */
async function overheadTable() {
  const peers = overheadPeers();
  for (const peer of peers.filter((p) => !p.missing)) {
    const containers = [];
    try {
      peer.samples = [];
      for (let i = 0; i < CONTAINERS; i++) {
        const begin = process.hrtime.bigint();
        containers.push(await peer.start());
        peer.samples.push(Number(process.hrtime.bigint() - begin) / 1e6);
      }
      const per = await Promise.all(containers.map(async (container) => {
        const root = await peer.root(container);
        const parts = root === undefined ? [] : overheadProcesses(root).map(memoryOf);
        return { processes: parts.length, ...Object.fromEntries(['rss', 'pss', 'private'].map((key) => [key, parts.reduce((sum, part) => sum + part[key], 0)])) };
      }));
      peer.memory = Object.fromEntries(['processes', 'rss', 'pss', 'private'].map((key) => [key, median(per.map((container) => container[key]))]));
    } catch (error) {
      peer.failed = error.message;
    } finally {
      if (containers.length) await peer.remove(containers).catch((error) => { peer.failed ??= `removing: ${error.message}`; });
    }
  }
  const base = median(peers.find((p) => p.baseline).samples ?? [NaN]);
  const mb = (kb) => (kb / 1024).toFixed(1);
  const rows = [['', 'start median ms', 'min ms', '× cellblock', 'processes', 'RSS MB', 'PSS MB', 'private MB']];
  for (const peer of peers) {
    if (peer.missing || peer.failed) rows.push([peer.name, '-', '-', peer.missing ?? `failed: ${peer.failed}`, '', '', '', '']);
    else {
      const { processes, rss, pss, private: own } = peer.memory;
      rows.push([peer.name, median(peer.samples).toFixed(1), Math.min(...peer.samples).toFixed(1), (median(peer.samples) / base).toFixed(2), String(processes), mb(rss), mb(pss), mb(own)]);
    }
  }
  console.log('');
  printRows(`${CONTAINERS} detached containers running \`sleep 1000\`, started one after another, as ${runner.user.name}; memory per container (median) of the host processes that stay with it, its payload aside (/proc/PID/smaps_rollup; PSS splits shared pages among them all; private is what one more container adds):`, rows);
}

let status = 0;
try {
  await measure(tools, RUNS, WARMUP);
  printTable(`Start latency of a container running \`true\`, whole process, ${RUNS} runs each (after ${WARMUP} warm-ups), as ${runner.user.name}:`, tools);
  if (hybrid) {
    console.log(`\n† This host's cgroup2 mount has controllers beside cgroup v1 (hybrid mode), which crun refuses;`);
    console.log('  crun and podman ran in a private mount namespace that hides it (the wrapper alone is shown).');
  }
  await imageTables();
  await overheadTable();
  console.log(`\nnode ${process.version}, ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`);
} catch (error) {
  console.error(`bench: ${error.message}`);
  status = 1;
} finally {
  stopPodmanPause();
  runner.cleanup();
}
process.exit(status);
