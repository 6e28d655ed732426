// cgroups on a host that cannot delegate them (this machine: hybrid cgroups):
// info says so, every limit flag is refused with the reason — never claimed —
// and containers without limits still run, with one notice. The limits
// themselves are tested for real in a VM (test/vm/cgroups.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Runner } from '../../scripts/lib/as-user.mjs';
import { buildBusyboxRootfs } from '../../scripts/lib/rootfs.mjs';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const c = containerFixture();

/** What the mount table says, read here without cellblock's code: v2, hybrid, v1 or none. */
function hostHierarchy() {
  const types = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => {
    const fields = line.split(' ');
    return fields[fields.indexOf('-') + 1];
  });
  const v1 = types.includes('cgroup');
  const v2 = types.includes('cgroup2');
  return v2 ? (v1 ? 'hybrid' : 'v2') : v1 ? 'v1' : 'none';
}

async function info(runner, format) {
  const r = await runner.cellblock(['info', '-f', format]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('info reports the cgroup hierarchy the mount table shows, and whether limits can be set', async () => {
  const hierarchy = hostHierarchy();
  assert.equal(await info(c.runner, '{{.Cgroups.Hierarchy}}'), hierarchy);
  const text = (await c.runner.cellblock(['info'])).stdout;
  assert.match(text, /^Cgroups:$/m);
  if (hierarchy === 'hybrid') {
    assert.equal(await info(c.runner, '{{.CgroupVersion}} {{.CgroupDriver}} {{.Cgroups.Delegated}}'), '1 none false');
    assert.match(text, /^ Version: hybrid/m);
    assert.match(text, /^ Resource limits: no: this host has hybrid cgroups/m);
  }
  const json = JSON.parse((await c.runner.cellblock(['info', '-f', 'json'])).stdout);
  assert.equal(json.Cgroups.Hierarchy, hierarchy);
  assert.equal(json.Rootless, true);
});

test('bad info --format is a one-line error', async () => {
  assertOneLineError(assert, await c.runner.cellblock(['info', '-f', '{{.Nope']), /invalid --format/);
});

const LIMITS = [
  ['--memory', '32m'], ['--memory-reservation', '16m'], ['--cpus', '0.5'], ['--cpu-shares', '512'],
  ['--cpuset-cpus', '0'], ['--pids-limit', '20'], ['--blkio-weight', '500'],
];

test('on a host without delegated cgroups every limit flag is refused, with the reason, and nothing is left behind', async (t) => {
  if ((await info(c.runner, '{{.Cgroups.Delegated}}')) === 'true') return t.skip('SKIP: cgroups are delegated to this user here, so limits are enforced (test/vm/cgroups.test.mjs checks them)');
  const problem = await info(c.runner, '{{.Cgroups.Problem}}');
  for (const [flag, value] of LIMITS) {
    const r = await c.run([flag, value], ['echo', 'ran']);
    assertOneLineError(assert, r, new RegExp(`^cellblock: ${flag} cannot be enforced: `));
    assert.ok(r.stderr.includes(problem), `${flag}: the reason is the one info gives`);
    assert.equal(r.stdout, '', `${flag}: the command did not run`);
  }
  // --memory-swap comes with --memory: the error names the first flag that needs the memory controller.
  assertOneLineError(assert, await c.run(['--memory', '64m', '--memory-swap', '128m'], ['true']), /^cellblock: --memory cannot be enforced/);
  const ps = await c.runner.cellblock(['ps', '-a', '-q']);
  assert.equal(ps.stdout, '', 'no container record was made');
});

test('a bad limit value is a one-line error even before the host is asked', async () => {
  for (const [flags, pattern] of [
    [['--memory', '3x'], /invalid --memory "3x"/],
    [['--memory', '1k'], /the minimum is 6MB/],
    [['--cpus', 'lots'], /invalid --cpus "lots"/],
    [['--pids-limit', 'ten'], /invalid --pids-limit "ten"/],
    [['--device-read-bps', '/etc/passwd:1m'], /\/etc\/passwd is not a block device/],
    [['--memory-swap', '1g'], /--memory-swap needs --memory/],
  ]) {
    assertOneLineError(assert, await c.run(flags, ['true']), pattern);
  }
});

test('without limits, a container runs; the notice that it gets no cgroup comes once', async (t) => {
  const fresh = new Runner({ freshNotices: true });
  t.after(() => fresh.cleanup());
  const rootfs = buildBusyboxRootfs(`${fresh.tempDir('cellblock-rootfs-')}/rootfs`);
  fresh.chownTree(rootfs);
  const first = await fresh.cellblock(['run', '--rm', '--rootfs', rootfs, 'echo', 'one']);
  const second = await fresh.cellblock(['run', '--rm', '--rootfs', rootfs, 'echo', 'two']);
  assert.deepEqual([first.code, first.stdout, second.code, second.stdout], [0, 'one\n', 0, 'two\n']);
  if ((await info(fresh, '{{.Cgroups.Delegated}}')) === 'true') {
    assert.equal(first.stderr + second.stderr, '', 'with delegated cgroups there is nothing to say');
    return;
  }
  assert.match(first.stderr, /^cellblock: notice: containers get no cgroup of their own here, so no resource limits: .+\n$/);
  assert.equal(second.stderr, '', 'said once');
});
