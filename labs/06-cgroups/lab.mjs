// Lab 6 — cgroups v2: a memory limit that kills, a pids limit that stops a fork bomb.
// Chapter: chapters/06-cgroups.md
// Code:    src/cgroups/detect.ts (is a subtree delegated to us?), src/cgroups/plan.ts
//          (a limit that cannot be enforced is an error), src/cgroups/container.ts (the
//          container's own cgroup), src/init/cgroup.ts (the cgroup namespace)
//
// Run: node labs/06-cgroups/lab.mjs
//
// Real limits need a cgroup v2 subtree delegated to the user cellblock runs
// as. On a host without one (a hybrid or v1 host, or a cgroup that is not
// yours) the lab shows what cellblock does there — refuse every limit flag in
// one line, run containers without limits — and says where the rest runs:
// in the course's VM, which has the delegation:
//
//   node scripts/vm/run.mjs -- node labs/06-cgroups/lab.mjs
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { check, lab, note, section, show, skip } from '../lib.mjs';

/** The VM runs everything many times slower (software emulation): give each command room. */
const TIMEOUT_MS = process.env.CELLBLOCK_IN_VM ? 120_000 : 20_000;

const read = (path) => { try { return readFileSync(path, 'utf8').trim(); } catch (e) { return `(${e.code})`; } };
/** "key value" lines (pids.events, memory.events, cpu.stat) as an object of numbers. */
const flatKeyed = (path) => Object.fromEntries(read(path).split('\n').map((l) => l.split(' ')).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Number(v)]));
const firstLine = (text) => text.trim().split('\n')[0] ?? '';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await lab('Lab 6 · cgroups v2', async ({ runner, rootfs, cellblock }) => {
  const cb = (args, options = {}) => cellblock(args, { timeout: TIMEOUT_MS, ...options });

  section('what this host offers: cellblock info');
  const info = JSON.parse((await cb(['info', '-f', 'json'])).stdout);
  const cg = info.Cgroups;
  show([
    ['hierarchy', cg.Hierarchy, ''],
    ['cgroup2 mount', cg.Mount, ''],
    [`own cgroup (of ${runner.user.name})`, cg.Own, ''],
    ['delegated', String(cg.Delegated), ''],
    ['controllers to hand down', cg.Controllers.join(' ') || 'none', ''],
    ['{{.CgroupDriver}}', info.CgroupDriver, ''],
  ], ['', 'cellblock info', '']);
  // The same question asked of the kernel directly: which cgroup filesystems are mounted?
  const types = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).map((f) => f[f.indexOf('-') + 1]);
  const v1Trees = types.filter((t) => t === 'cgroup').length;
  const v2Trees = types.filter((t) => t === 'cgroup2').length;
  const expected = v2Trees === 0 ? (v1Trees ? 'v1' : 'none') : v1Trees ? 'hybrid' : 'v2';
  note(`/proc/self/mountinfo: ${v1Trees} cgroup (v1) trees, ${v2Trees} cgroup2`);
  check(cg.Hierarchy === expected, `info says "${cg.Hierarchy}", as /proc/self/mountinfo does`, `mountinfo says ${expected}`);

  if (info.CgroupDriver === 'cgroupfs') await withDelegation(cb, rootfs, cg);
  else await withoutDelegation(cb, runner, rootfs, cg);
});

// ─────────────────────────── a host without delegation ───────────────────────

async function withoutDelegation(cb, runner, rootfs, cg) {
  check(!cg.Delegated && cg.Problem !== '', 'no delegated subtree, and info says why in one line', cg.Problem);
  note(`why: ${cg.Problem}`);

  section('a limit that cannot be enforced is refused, not ignored');
  const rows = [];
  for (const flags of [['--memory', '32m'], ['--pids-limit', '20'], ['--cpus', '0.5']]) {
    const r = await cb(['run', '--rm', ...flags, '--rootfs', rootfs, 'echo', 'the payload ran']);
    rows.push([`run ${flags.join(' ')}`, `exit ${r.code}; ${firstLine(r.stderr)}`, r.stdout.trim() || '(nothing)']);
    const lines = r.stderr.trim().split('\n');
    check(r.code === 125 && lines.length === 1 && lines[0] === `cellblock: ${flags[0]} cannot be enforced: ${cg.Problem}` && r.stdout === '',
      `run ${flags.join(' ')}: exit 125, one line naming the flag and why, and the payload never ran`, `exit ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
  }
  show(rows, ['', 'cellblock', 'the payload printed']);

  section('without a limit flag the container runs, with one notice');
  // A fresh runtime directory: the notice is said once per boot, and the lab's
  // own runtime directory has heard it already (scripts/lib/as-user.mjs).
  const env = { XDG_RUNTIME_DIR: runner.tempDir('cellblock-lab6-') };
  const first = await cb(['run', '--rm', '--rootfs', rootfs, 'cat', '/proc/self/cgroup'], { env });
  const second = await cb(['run', '--rm', '--rootfs', rootfs, 'cat', '/proc/self/cgroup'], { env });
  const v2Line = first.stdout.split('\n').find((l) => l.startsWith('0::')) ?? '(none)';
  show([
    ['first run', firstLine(first.stderr) || '(no notice)', `exit ${first.code}`],
    ['second run', firstLine(second.stderr) || '(no notice)', `exit ${second.code}`],
    ['cgroup v2 (the 0:: line)', `0::${cg.Own} (cellblock's caller)`, v2Line],
  ], ['', 'cellblock (host)', 'container']);
  check(first.code === 0 && second.code === 0, 'run without limits works', `${first.stderr}${second.stderr}`);
  check(first.stderr.trim() === `cellblock: notice: containers get no cgroup of their own here, so no resource limits: ${cg.Problem}`,
    'the first run says once that containers get no cgroup here, and why', first.stderr.trim());
  check(second.stderr.trim() === '', '…and the second says nothing (once per boot)', second.stderr.trim());
  check(v2Line === `0::${cg.Own}`, 'the container stays in its caller\'s cgroup: it has none of its own', v2Line);

  skip('memory and pids limits enforced', 'host without delegated cgroups: the limits part runs in the VM: node scripts/vm/run.mjs -- node labs/06-cgroups/lab.mjs');
}

// ─────────────────────────── a host with delegation ──────────────────────────

async function withDelegation(cb, rootfs, cg) {
  const inspect = async (name, template) => (await cb(['inspect', '-f', template, name])).stdout.trim();
  /** The container's cgroup directory on the host: CgroupParent/cellblock-<first 12 characters of the id>. */
  const cgroupDir = async (id) => join(await inspect(id, '{{.HostConfig.CgroupParent}}'), `cellblock-${id.slice(0, 12)}`);
  const detach = async (flags, ...command) => {
    const r = await cb(['run', '-d', ...flags, '--rootfs', rootfs, ...command]);
    if (r.code !== 0) throw new Error(`run -d ${flags.join(' ')} failed: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const cgroupPath = (dir) => dir.slice(cg.Mount.length); // /sys/fs/cgroup/a/b → /a/b, as /proc/PID/cgroup names it

  section('a cgroup of the container\'s own, seen from both sides');
  const id = await detach(['--name', 'lab6', '--memory', '32m', '--cpus', '0.5'], 'sleep', '1000');
  const dir = await cgroupDir(id);
  const parent = await inspect(id, '{{.HostConfig.CgroupParent}}');
  const pid = await inspect(id, '{{.State.Pid}}');
  const inside = await cb(['exec', 'lab6', 'sh', '-c', 'cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/cpu.max; cat /proc/self/cgroup; ls /sys/fs/cgroup | grep -c -e cellblock- -e leaf; (echo max > /sys/fs/cgroup/memory.max) 2>&1 | tr -d "\\n"; echo']);
  const [memInside, cpuInside, cgroupInside, neighbours, write] = inside.stdout.trim().split('\n');
  show([
    ['the container\'s cgroup', dir, '/sys/fs/cgroup (its cgroup namespace\'s root)'],
    ['memory.max (--memory 32m)', read(join(dir, 'memory.max')), memInside],
    ['cpu.max (--cpus 0.5)', read(join(dir, 'cpu.max')), cpuInside],
    ['/proc/PID/cgroup of pid 1 / of exec', read(`/proc/${pid}/cgroup`), cgroupInside],
    ['other cgroups visible', readdirSync(parent).filter((e) => /^(cellblock-|leaf$)/.test(e)).join(' '), `${neighbours} (cellblock-… or leaf)`],
    ['echo max > memory.max', '', write],
  ]);
  check(read(join(dir, 'memory.max')) === '33554432' && memInside === '33554432', 'memory.max holds 32 MiB in bytes, on the host and inside', inside.stderr);
  check(read(join(dir, 'cpu.max')) === '50000 100000' && cpuInside === '50000 100000', 'cpu.max: 50 ms of every 100 ms', inside.stderr);
  check(parent === join(cg.Mount, cg.Own) || (basename(cg.Own) === 'leaf' && parent === join(cg.Mount, dirname(cg.Own))), 'the container\'s cgroup is made in our own delegated cgroup', `CgroupParent ${parent}, own ${cg.Own}`);
  check(read(`/proc/${pid}/cgroup`) === `0::${cgroupPath(dir)}`, 'pid 1 is in it, seen from the host…', read(`/proc/${pid}/cgroup`));
  check(cgroupInside === '0::/', '…and exec\'s command too, which a cgroup namespace shows as its root, "/"', cgroupInside);
  check(neighbours === '0', 'inside, /sys/fs/cgroup shows the container\'s subtree only: no neighbours');
  check(/Read-only file system/.test(write ?? '') && read(join(dir, 'memory.max')) === '33554432', 'the container cannot lift its own limit: its cgroup2 mount is read-only', write);

  section('the no-internal-process rule: our processes moved to a leaf, once');
  const enabled = read(join(parent, 'cgroup.subtree_control'));
  const internal = read(join(parent, 'cgroup.procs'));
  const leafProcs = read(join(parent, 'leaf', 'cgroup.procs')).split('\n').filter(Boolean);
  const labCgroup = read('/proc/self/cgroup');
  // A second container, started like the first from a process that is now in the leaf.
  const secondId = await detach(['--name', 'lab6-second'], 'sleep', '1000');
  const secondParent = await inspect(secondId, '{{.HostConfig.CgroupParent}}');
  show([
    [`${cgroupPath(parent)}/cgroup.subtree_control`, enabled, ''],
    [`${cgroupPath(parent)}/cgroup.procs`, internal || '(empty)', ''],
    [`${cgroupPath(parent)}/leaf/cgroup.procs`, `${leafProcs.length} processes${leafProcs.includes(String(process.pid)) ? ', this lab\'s among them' : ''}`, ''],
    ['this lab (/proc/self/cgroup)', labCgroup, ''],
    ['a second container\'s cgroup', `${cgroupPath(secondParent)}/cellblock-${secondId.slice(0, 12)}`, ''],
  ], ['', 'host', '']);
  check(['memory', 'pids', 'cpu'].every((c) => enabled.split(' ').includes(c)), 'the parent hands memory, cpu and pids down to its children');
  check(internal === '', '…so it holds no process itself', internal);
  check(leafProcs.includes(String(process.pid)), 'this lab itself was moved to the leaf beside the containers', `leaf: ${leafProcs.join(' ')}`);
  check(secondParent === parent, 'a second container goes beside the first: the move to the leaf happens once, not one level deeper each time',
    `second: ${cgroupPath(secondParent)}, first: ${cgroupPath(parent)}`);
  await cb(['rm', '-f', 'lab6', 'lab6-second']);
  check(!existsSync(dir), 'after rm -f the container\'s cgroup directory is gone', dir);

  section('a memory limit: the OOM killer');
  // busybox dd allocates its buffer, bs bytes, and fills it: 100 MB of memory touched.
  const oom = await cb(['run', '--name', 'lab6-oom', '--memory', '32m', '--rootfs', rootfs, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1']);
  const killed = await inspect('lab6-oom', '{{.State.OOMKilled}}');
  const fits = await cb(['run', '--rm', '--memory', '32m', '--rootfs', rootfs, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=20M', 'count=1']);
  show([
    ['dd bs=100M, --memory 32m', `exit ${oom.code}; State.OOMKilled ${killed}`, firstLine(oom.stderr)],
    ['dd bs=20M, --memory 32m', `exit ${fits.code}`, firstLine(fits.stderr.split('\n').slice(-2).join('\n'))],
  ]);
  check(oom.code === 137, 'dd touching 100 MB under a 32 MB limit is killed: exit 137 (128 + SIGKILL)', `exit ${oom.code}: ${oom.stderr.trim()}`);
  check(/OOM killed/.test(oom.stderr), 'run says it was OOM killed', oom.stderr.trim());
  check(killed === 'true', 'inspect: State.OOMKilled is true (memory.events counted an oom_kill)', killed);
  check(fits.code === 0, 'the same dd with a 20 MB buffer fits and exits 0', fits.stderr.trim());
  await cb(['rm', 'lab6-oom']);

  section('a pids limit: a fork bomb');
  // Each b starts two more in the background, for ever; pid 1 forks only the
  // first and then becomes a sleep, so the bomb goes off beside it.
  const bombId = await detach(['--name', 'lab6-bomb', '--pids-limit', '20'], 'sh', '-c', 'b() { b | b & }; b; exec sleep 1000');
  const bombDir = await cgroupDir(bombId);
  let events = {};
  for (let waited = 0; waited < TIMEOUT_MS && !(events.max > 0); waited += 250) {
    await sleep(250);
    events = flatKeyed(join(bombDir, 'pids.events'));
  }
  const current = Number(read(join(bombDir, 'pids.current')));
  const status = await inspect('lab6-bomb', '{{.State.Status}}');
  const pid1 = read(`/proc/${await inspect('lab6-bomb', '{{.State.Pid}}')}/comm`);
  const logs = await cb(['logs', 'lab6-bomb']);
  show([
    ['pids.max', read(join(bombDir, 'pids.max')), ''],
    ['pids.current', String(current), ''],
    ['pids.events', `max ${events.max} (forks refused)`, ''],
    ['the container', `${status}; pid 1 is ${pid1}`, firstLine(logs.stderr) || firstLine(logs.stdout)],
  ]);
  check(events.max > 0, 'the kernel refused forks at the limit (pids.events "max" > 0)', JSON.stringify(events));
  check(current > 0 && current <= 20, 'never more than 20 processes in the container', `pids.current ${current}`);
  check(status === 'running' && pid1 === 'sleep', 'the container survives: pid 1 (sleep) runs on', `${status}, ${pid1}`);
  const clock = Date.now();
  await cb(['rm', '-f', 'lab6-bomb']);
  note(`rm -f took ${Date.now() - clock} ms: cgroup.kill SIGKILLs the whole bomb at once`);
  check(!existsSync(bombDir), 'after rm -f the bomb\'s cgroup directory is gone', bombDir);
  check((await cb(['ps', '-a', '-q'])).stdout === '', 'and no container is left');
}
