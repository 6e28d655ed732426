// A real distribution through the whole image path (issue 4): Debian 12 from
// debootstrap (test/helpers/debian.mjs), pushed to a registry on 127.0.0.1,
// pulled and run by cellblock as an unprivileged user. Where busybox is one
// static binary, this is thousands of files, shared libraries, a dynamic
// loader, and files owned by groups other than root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry } from '../helpers/registry.mjs';
import { pushDebian } from '../helpers/debian.mjs';
import { containerFixture, hasSubordinateIds } from './fixture.mjs';

// A first build runs debootstrap (about a minute here, more on a slow mirror).
const BUILD_TIMEOUT_MS = 20 * 60_000;
const TEST_TIMEOUT_MS = 3 * 60_000;

const c = containerFixture();
let registry;
let debian;

before(async () => {
  registry = await startRegistry({ auth: 'none' });
  debian = await pushDebian(registry, 'test/debian');
}, { timeout: BUILD_TIMEOUT_MS });
after(() => registry?.stop());

const cellblock = (...args) => c.runner.cellblock(args);

/** Skip (with the helper's reason) when this machine cannot build the image; otherwise pull it once. */
let pulled;
async function pulledOrSkip(t) {
  if (debian.skip) {
    t.skip(debian.skip);
    return false;
  }
  if (!pulled) {
    t.diagnostic(debian.cached
      ? `Debian ${debian.debianVersion} image from the cache (built ${debian.builtAt} in ${debian.buildSeconds} s)`
      : `Debian ${debian.debianVersion} image built in ${debian.buildSeconds} s`);
    pulled = cellblock('pull', debian.reference);
  }
  const result = await pulled;
  assert.equal(result.code, 0, result.stderr);
  return true;
}

test('a Debian image pulls and runs cat /etc/debian_version', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!(await pulledOrSkip(t))) return;
  assert.match((await pulled).stdout, new RegExp(`Pulled ${registry.host}/test/debian:latest`));
  const r = await cellblock('run', '--rm', debian.reference, 'cat', '/etc/debian_version');
  assert.deepEqual([r.code, r.stderr], [0, ''], r.stderr);
  assert.match(r.stdout, /^12\.\d+\n$/);
  assert.equal(r.stdout.trim(), debian.debianVersion);
});

test('apt-get --version works inside (a dynamically linked program and its libraries)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!(await pulledOrSkip(t))) return;
  const r = await cellblock('run', '--rm', debian.reference, 'apt-get', '--version');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^apt 2\./);
});

test('with subordinate ids, files owned by ids other than 0 keep them inside and map to subids outside', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!hasSubordinateIds(c.runner.user)) return t.skip(`SKIP: ${c.runner.user.name} has no /etc/subuid range`);
  if (!(await pulledOrSkip(t))) return;
  const { path, uid, gid, mode } = debian.owned; // e.g. /etc/gshadow, 0:42 (shadow), 640
  const r = await cellblock('run', '--rm', debian.reference, 'sh', '-c', `stat -c '%u %g %a' ${path}; echo --; cat /proc/self/uid_map; echo --; cat /proc/self/gid_map`);
  assert.equal(r.code, 0, r.stderr);
  const [inside, uidMap, gidMap] = r.stdout.trim().split('\n--\n');
  assert.equal(inside, `${uid} ${gid} ${mode}`, `${path} keeps its owner, group and mode inside`);

  // On the host, the unpacked layer holds the ids the container's maps turn
  // into the image's: with "0 UID 1" + "1 START 65536", id 42 is START + 41.
  const subids = join(c.runner.dataDir, 'cellblock', 'layers', 'subids');
  const onHost = readdirSync(subids).map((hex) => join(subids, hex, path)).find(existsSync);
  assert.ok(onHost, `${path} is in an unpacked layer under ${subids}`);
  const stat = statSync(onHost);
  assert.deepEqual([stat.uid, stat.gid], [toHost(uidMap, uid), toHost(gidMap, gid)]);
  for (const [id, file, host] of [[uid, '/etc/subuid', stat.uid], [gid, '/etc/subgid', stat.gid]]) {
    if (id !== 0) assert.ok(host >= subordinateStart(file), `id ${id} is a subordinate id on the host (${host})`);
  }
});

/** Translate id ID inside through MAP ("inside outside count" lines, as /proc/PID/uid_map). */
function toHost(map, id) {
  for (const line of map.trim().split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (id >= inside && id < inside + count) return outside + (id - inside);
  }
  throw new Error(`id ${id} is not mapped by ${JSON.stringify(map)}`);
}

function subordinateStart(file) {
  const { name, uid } = c.runner.user;
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`) || l.startsWith(`${uid}:`));
  return Number(line.split(':')[1]);
}
