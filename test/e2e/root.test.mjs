// "It works when the caller is root, too": the same runtime, started by root.
// Root writes its own single-id map ("0 0 1") without newuidmap, and its
// containers are still in new user, mount, pid, uts and ipc namespaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { containerFixture } from './fixture.mjs';

const isRoot = process.getuid() === 0;
const c = isRoot ? containerFixture({ asRoot: true }) : undefined;
const skip = isRoot ? false : 'SKIP: the caller is not root; these checks need a root caller (CI runs them as root)';

test('as root: uid 0 maps to 0, in a new user namespace', { skip }, async () => {
  const r = await c.sh('id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user', ['--userns=single']);
  assert.equal(r.code, 0, r.stderr);
  const [uid, map, ns] = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.equal(uid, '0');
  assert.equal(map, '0 0 1');
  assert.notEqual(ns, readlinkSync('/proc/self/ns/user'));
});

test('as root: pid 1, its own hostname, exit statuses', { skip }, async () => {
  const before = hostname();
  const r = await c.sh('echo $$; echo /proc/[0-9]*; hostname inside-root && hostname', ['--cap-add', 'SYS_ADMIN']);
  assert.deepEqual(r.stdout.trim().split('\n'), ['1', '/proc/1', 'inside-root']);
  assert.equal(hostname(), before);
  assert.equal((await c.sh('exit 3')).code, 3);
  assert.equal((await c.run([], ['no-such-command'])).code, 127);
});
