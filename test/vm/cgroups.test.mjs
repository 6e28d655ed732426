// Real cgroup v2 limits, as an unprivileged user with a delegated subtree.
// This host cannot give us that (hybrid cgroups), so `npm run test:vm` runs
// this file inside a VM it boots (scripts/vm/): cgroup2 alone, cpu cpuset io
// memory pids delegated to the test user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerFixture, leftoverProcesses } from '../e2e/fixture.mjs';

const inVm = process.env.CELLBLOCK_IN_VM === '1';
const skip = inVm ? false : 'SKIP: needs delegated cgroup v2 — runs inside the VM: npm run test:vm';
const c = containerFixture();

/** Run cellblock; fail the test with its stderr when it does not exit 0. */
async function ok(args, options) {
  const r = await c.runner.cellblock(args, options);
  assert.equal(r.code, 0, `cellblock ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The host path of container ID's cgroup, from what inspect says. */
async function cgroupDir(id) {
  return join(await ok(['inspect', '-f', '{{.HostConfig.CgroupParent}}', id]), `cellblock-${id.slice(0, 12)}`);
}

const readKeyed = (dir, file) => new Map(readFileSync(join(dir, file), 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));

/** Wait (bounded) until CHECK holds: the VM is slow, and the kernel gives these counters no event we could wait on. */
async function eventually(check, what, seconds = 60) {
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await sleep(250)) if (check()) return;
  assert.fail(`${what}: not within ${seconds} s`);
}

test('info: cgroup v2, delegated, with the controllers cellblock uses', { skip }, async () => {
  assert.equal(await ok(['info', '-f', '{{.CgroupVersion}} {{.CgroupDriver}} {{.Cgroups.Delegated}}']), '2 cgroupfs true');
  assert.deepEqual(JSON.parse(await ok(['info', '-f', 'json'])).Cgroups.Controllers, ['cpu', 'cpuset', 'io', 'memory', 'pids']);
});

test('inside, /sys/fs/cgroup is the container\'s own cgroup, read-only, showing its limits', { skip }, async () => {
  const r = await c.sh('cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /proc/self/cgroup; echo 1 > /sys/fs/cgroup/memory.max 2>/dev/null || echo refused', ['--memory', '32m', '--pids-limit', '30']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '33554432\n30\n0::/\nrefused\n');
});

test('--memory 32m: a payload allocating 100 MB is OOM killed, exit 137, inspect says OOMKilled; rm leaves no cgroup', { skip }, async () => {
  const name = `oom-${process.pid}`;
  const r = await c.runner.cellblock(['run', '--name', name, '--memory', '32m', '--rootfs', c.rootfs, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1']);
  assert.equal(r.code, 137, r.stderr);
  assert.match(r.stderr, /OOM killed/);
  assert.equal(await ok(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', name]), 'true 137 33554432 67108864');
  const id = await ok(['inspect', '-f', '{{.Id}}', name]);
  await ok(['rm', name]);
  assert.ok(!existsSync(join(c.runner.runtimeDir, 'cellblock', 'containers', `${id}.json`)));
  const parent = JSON.parse(await ok(['info', '-f', 'json'])).Cgroups;
  assert.ok(!existsSync(join(parent.Mount, parent.Own, `cellblock-${id.slice(0, 12)}`)), 'the cgroup is gone');
  // Without a limit, the same allocation is fine.
  assert.equal((await c.run([], ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'])).code, 0);
});

test('--pids-limit 20: a fork bomb hits the limit, the container survives, rm -f ends every process and the cgroup', { skip }, async () => {
  const id = await ok(['run', '-d', '--pids-limit', '20', '--rootfs', c.rootfs, 'sh', '-c', 'b() { b | b & }; b; exec sleep 1000']);
  const dir = await cgroupDir(id);
  await eventually(() => readKeyed(dir, 'pids.events').get('max') > 0, 'forks refused (pids.events max)');
  assert.ok(Number(readFileSync(join(dir, 'pids.current'), 'utf8')) <= 20, 'never more than 20 tasks');
  await sleep(1000);
  assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', id]), 'running', 'the container survives its fork bomb');
  await ok(['rm', '-f', id]);
  assert.ok(!existsSync(dir), 'the cgroup is gone');
  assert.deepEqual(leftoverProcesses(c.runner), [], 'no process of the bomb escaped');
});

test('--cpus 0.5: a busy loop gets 40–60 % of one core over 3 s (cpu.stat)', { skip }, async () => {
  const id = await ok(['run', '-d', '--cpus', '0.5', '--rootfs', c.rootfs, 'sh', '-c', 'while :; do :; done']);
  const dir = await cgroupDir(id);
  assert.equal(readFileSync(join(dir, 'cpu.max'), 'utf8').trim(), '50000 100000');
  await sleep(1000); // past start-up
  const usage = () => readKeyed(dir, 'cpu.stat').get('usage_usec');
  const [u0, t0] = [usage(), performance.now()];
  await sleep(3000);
  const share = (usage() - u0) / ((performance.now() - t0) * 1000);
  await ok(['rm', '-f', id]);
  assert.ok(share >= 0.4 && share <= 0.6, `used ${(share * 100).toFixed(1)} % of one core`);
});

test('exec runs inside the container\'s cgroup and sees its namespace; stats reads its cgroup', { skip }, async () => {
  const id = await ok(['run', '-d', '--memory', '64m', '--rootfs', c.rootfs, 'sleep', '1000']);
  const dir = await cgroupDir(id);
  assert.equal(await ok(['exec', id, 'sh', '-c', 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max']), '0::/\n67108864');
  // stats reads the same cgroup: the limit is the container's, not the machine's memory.
  const [usage, pids] = (await ok(['stats', '--no-stream', '--format', '{{.MemUsage}}|{{.PIDs}}', id])).split('|');
  assert.match(usage, / \/ 64MiB$/);
  assert.equal(pids, '1');
  // The exec'd process is counted in the container's cgroup, not ours; exec's
  // init (five threads) joined it only to fork the command there, and is
  // moved back out once it runs: pid 1 and the sleep are all that is left.
  const child = c.runner.spawnCellblock(['exec', id, 'sleep', '30']);
  await eventually(() => readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').length === 2
    && Number(readFileSync(join(dir, 'pids.current'), 'utf8')) === 2, 'pid 1 and the exec\'d sleep in the cgroup, and nothing else');
  await ok(['rm', '-f', id]);
  child.kill('SIGKILL');
  assert.ok(!existsSync(dir));
});

test('exec into a container at its --pids-limit: one line, exit 125; with room, it runs', { skip }, async () => {
  const full = await ok(['run', '-d', '--pids-limit', '3', '--rootfs', c.rootfs, 'sh', '-c', 'sleep 1000 & sleep 1000 & exec sleep 1000']);
  const dir = await cgroupDir(full);
  await eventually(() => Number(readFileSync(join(dir, 'pids.current'), 'utf8')) === 3, 'three sleeps: the limit');
  const refused = await c.runner.cellblock(['exec', full, 'true']);
  assert.equal(refused.code, 125, refused.stderr);
  assert.equal(refused.stderr, 'cellblock: exec: fork: EAGAIN (the container has as many processes as its --pids-limit allows)\n');
  assert.equal(Number(readFileSync(join(dir, 'pids.current'), 'utf8')), 3, 'nothing of the failed exec is left in it');
  await ok(['rm', '-f', full]);
  // Room for the fork: what the container uses (1), exec's init's five threads, and the command.
  const roomy = await ok(['run', '-d', '--pids-limit', '7', '--rootfs', c.rootfs, 'sleep', '1000']);
  assert.equal(await ok(['exec', roomy, 'echo', 'ran']), 'ran');
  await ok(['rm', '-f', roomy]);
});

test('our processes move to a leaf once: later containers go beside the first, not a level deeper', { skip }, async () => {
  await c.run(['--pids-limit', '10'], ['true']);
  const first = readFileSync('/proc/self/cgroup', 'utf8').trim();
  const id = await ok(['run', '-d', '--pids-limit', '10', '--rootfs', c.rootfs, 'sleep', '1000']);
  const own = JSON.parse(await ok(['info', '-f', 'json'])).Cgroups.Own;
  assert.equal(readFileSync('/proc/self/cgroup', 'utf8').trim(), first, 'this process did not move again');
  assert.equal(first, `0::${own}/leaf`, 'we are in the leaf of the cgroup containers go in');
  assert.equal(await ok(['inspect', '-f', '{{.HostConfig.CgroupParent}}', id]), join(JSON.parse(await ok(['info', '-f', 'json'])).Cgroups.Mount, own));
  await ok(['rm', '-f', id]);
});
