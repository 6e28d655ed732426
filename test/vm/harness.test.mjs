// Runs INSIDE the test VM (npm run test:vm): is the guest what the cgroup
// tests need? Non-root, cgroup v2 mounted alone, a delegated cgroup with the
// five controllers, and cellblock working as this user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { containerFixture } from '../e2e/fixture.mjs';

const inVm = process.env.CELLBLOCK_IN_VM === '1';
const skip = inVm ? false : 'SKIP: runs only inside the test VM (npm run test:vm sets CELLBLOCK_IN_VM=1)';
if (skip) console.log(skip);

const CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'];
// A runner and a busybox root filesystem (on the scratch disk: TMPDIR).
const fixture = inVm ? containerFixture() : undefined;

/** Mount points and filesystem types from /proc/self/mountinfo ("… - TYPE SOURCE OPTIONS"). */
function mounts() {
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => {
    const fields = line.split(' ');
    return { point: fields[4], type: fields[fields.indexOf('-') + 1] };
  });
}

/** This process's cgroup directory, from the v2 line "0::/PATH" of /proc/self/cgroup. */
function ownCgroup() {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((entry) => entry.startsWith('0::'));
  assert.ok(line, 'a cgroup v2 line (0::/…) in /proc/self/cgroup');
  return join('/sys/fs/cgroup', line.slice(3));
}

test('the tests run as an unprivileged user', { skip }, () => {
  assert.notEqual(process.getuid(), 0);
});

test('/sys/fs/cgroup is cgroup2, and no cgroup v1 hierarchy is mounted', { skip }, () => {
  const all = mounts();
  assert.equal(all.find((mount) => mount.point === '/sys/fs/cgroup')?.type, 'cgroup2');
  assert.deepEqual(all.filter((mount) => mount.type === 'cgroup'), []);
});

test('our own cgroup is delegated to us, with cpu cpuset io memory pids', { skip }, () => {
  const cgroup = ownCgroup();
  for (const file of ['cgroup.procs', 'cgroup.subtree_control']) accessSync(join(cgroup, file), constants.W_OK);
  const controllers = readFileSync(join(cgroup, 'cgroup.controllers'), 'utf8').trim().split(' ');
  for (const controller of CONTROLLERS) assert.ok(controllers.includes(controller), `${controller} in ${controllers.join(' ')}`);
  // Writable on paper is not enough: make a child cgroup, and remove it.
  const child = join(cgroup, `harness-check-${process.pid}`);
  mkdirSync(child);
  rmdirSync(child);
});

test('cellblock runs a container as this user', { skip }, async () => {
  const result = await fixture.run([], ['echo', 'hi']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'hi\n');
});
