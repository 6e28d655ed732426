// --no-isolate=cgroup where cgroups are delegated (the VM of npm run test:vm):
// the container keeps its cgroup and limits, and loses only the namespace
// that made that cgroup look like the root (src/runtime/isolation.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerFixture } from '../e2e/fixture.mjs';

const inVm = process.env.CELLBLOCK_IN_VM === '1';
const skip = inVm ? false : 'SKIP: needs delegated cgroup v2 — runs inside the VM: npm run test:vm';
const c = containerFixture();

// The v2 line's path, then the memory.max found under /sys/fs/cgroup at that path.
const probe = 'p=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "$p"; cat "/sys/fs/cgroup$p/memory.max"';

test('default: a cgroup namespace, so the container\'s cgroup is "/" and its limit is at the top', { skip }, async () => {
  const r = await c.sh(probe, ['--memory', '32m']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['/', '33554432']);
});

test('--no-isolate=cgroup: the host\'s path and the host\'s tree, and the limit still set', { skip }, async () => {
  for (const flags of [['--no-isolate=cgroup'], ['--cgroupns', 'host']]) {
    const r = await c.sh(probe, ['--memory', '32m', ...flags]);
    assert.equal(r.code, 0, r.stderr);
    const [path, limit] = r.stdout.trim().split('\n');
    assert.match(path, /^\/.+\/cellblock-[0-9a-f]{12}$/, 'the path from the host\'s root down to the container\'s cgroup');
    assert.equal(limit, '33554432');
  }
});
