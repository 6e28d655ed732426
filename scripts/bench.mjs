// npm run bench — start latency of a whole `run … true`, side by side with
// crun, bubblewrap and podman on the same busybox root filesystem, all as the
// same unprivileged user, in one run. Peers that are not installed are listed
// as such. Rounds are interleaved so machine noise hits every tool alike.
//
// BENCH_RUNS=N sets the measured runs per tool (default 15, after 2 warm-ups).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runner } from './lib/as-user.mjs';
import { buildBusyboxRootfs } from './lib/rootfs.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 15);
const WARMUP = 2;

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
tools.push({ name: 'cellblock run --rm', argv: () => [process.execPath, '--', runner.cli, 'run', '--rm', '--rootfs', rootfs, 'true'], baseline: true });
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

async function timeOnce(tool) {
  const [file, ...args] = tool.argv();
  const start = process.hrtime.bigint();
  const result = await runner.exec(file, args, { env: { XDG_RUNTIME_DIR: runner.runtimeDir } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.code !== 0) throw new Error(`${tool.name}: exit ${result.code}: ${result.stderr.trim().split('\n').at(-1)}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

let status = 0;
try {
  const runnable = tools.filter((t) => !t.missing);
  for (const tool of runnable) tool.samples = [];
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const tool of runnable) {
      if (tool.failed) continue;
      try {
        const ms = await timeOnce(tool);
        if (round >= WARMUP) tool.samples.push(ms);
      } catch (error) {
        tool.failed = error.message;
      }
    }
  }
  const base = median(tools.find((t) => t.baseline).samples);
  const rows = [['', 'median ms', 'min ms', '× cellblock']];
  for (const tool of tools) {
    if (tool.missing || tool.failed) rows.push([tool.name, '-', '-', tool.missing ?? `failed: ${tool.failed}`]);
    else rows.push([tool.name, median(tool.samples).toFixed(1), Math.min(...tool.samples).toFixed(1), (median(tool.samples) / base).toFixed(2)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`Start latency of a container running \`true\`, whole process, ${RUNS} runs each (after ${WARMUP} warm-ups), as ${runner.user.name}:\n`);
  for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ').trimEnd());
  if (hybrid) {
    console.log(`\n† This host's cgroup2 mount has controllers beside cgroup v1 (hybrid mode), which crun refuses;`);
    console.log('  crun and podman ran in a private mount namespace that hides it (the wrapper alone is shown).');
  }
  console.log(`\nnode ${process.version}, ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`);
} catch (error) {
  console.error(`bench: ${error.message}`);
  status = 1;
} finally {
  runner.cleanup();
}
process.exit(status);
