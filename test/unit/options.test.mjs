// Unit tests of the pure parts: what the user types, id maps, /etc/passwd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PATH, mergeEnv, parseContainerName, parseEnvEntry, parseEnvFile, parseHostname, parseUserOption, parseWorkdir,
} from '../../dist/runtime/options.js';
import { buildMap, formatMap, isMapped, parseSubordinateIds, planIdMap } from '../../dist/userns/idmap.js';
import { parseGroup, parsePasswd, resolveUser } from '../../dist/init/passwd.js';
import { statusFromWait } from '../../dist/runtime/exit-status.js';
import { unshareArgs } from '../../dist/userns/spawn.js';

test('-e KEY=VALUE is kept, -e KEY copies from the host or is dropped', () => {
  assert.equal(parseEnvEntry('A=1=2', '-e', {}), 'A=1=2');
  assert.equal(parseEnvEntry('A=', '-e', {}), 'A=');
  assert.equal(parseEnvEntry('HOME', '-e', { HOME: '/h' }), 'HOME=/h');
  assert.equal(parseEnvEntry('UNSET', '-e', {}), undefined);
});

test('-e with an empty or blank name is refused with one line', () => {
  assert.throws(() => parseEnvEntry('=x', '-e', {}), /^Error: -e: invalid environment variable "=x": the name is empty$/);
  assert.throws(() => parseEnvEntry('A B=1', '-e', {}), /contains whitespace/);
});

test('--env-file: comments, blank lines, KEY alone, CRLF', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'env');
  writeFileSync(file, '# comment\n\nA=1\r\n  B=two words\nFROM_HOST\nMISSING\n');
  assert.deepEqual(parseEnvFile(file, { FROM_HOST: 'yes' }), ['A=1', 'B=two words', 'FROM_HOST=yes']);
  writeFileSync(file, 'OK=1\n=bad\n');
  assert.throws(() => parseEnvFile(file, {}), new RegExp(`--env-file ${file}:2: invalid environment variable`));
  assert.throws(() => parseEnvFile(join(dir, 'absent'), {}), /ENOENT/);
});

test('mergeEnv: later wins, first position kept', () => {
  assert.deepEqual(mergeEnv([`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h'], ['A=1'], ['HOSTNAME=x', 'A=2']), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=x', 'A=2']);
});

test('-u accepts ids and names, refuses the rest', () => {
  assert.deepEqual(parseUserOption('1000'), { user: '1000' });
  assert.deepEqual(parseUserOption('1000:50'), { user: '1000', group: '50' });
  assert.deepEqual(parseUserOption('alice:staff'), { user: 'alice', group: 'staff' });
  for (const bad of ['', ':', '1:2:3', '-5', 'a b', '4294967295', '1000:']) {
    assert.throws(() => parseUserOption(bad), /^Error: invalid -u/, bad);
  }
});

test('-w must be absolute; hostname and name follow their rules', () => {
  assert.equal(parseWorkdir('/srv'), '/srv');
  assert.throws(() => parseWorkdir('srv'), /absolute path/);
  assert.equal(parseHostname('web-1.local'), 'web-1.local');
  for (const bad of ['-x', 'a_b', 'x'.repeat(65), '', 'a..b']) assert.throws(() => parseHostname(bad), /invalid --hostname/, bad);
  assert.equal(parseContainerName('web_1.a-b'), 'web_1.a-b');
  for (const bad of ['a', '_x', 'a/b', 'a b']) assert.throws(() => parseContainerName(bad), /invalid --name/, bad);
});

test('subordinate ids: matched by name or uid, bad lines ignored', () => {
  const text = 'alice:100000:65536\n1001:200000:1000\nbob:300000:65536\nalice:x:1\nalice:500000:0\n';
  assert.deepEqual(parseSubordinateIds(text, { id: 1001, name: 'alice' }), [{ start: 100000, count: 65536 }, { start: 200000, count: 1000 }]);
  assert.deepEqual(parseSubordinateIds(text, { id: 7, name: 'carol' }), []);
});

test('id maps: 0 → caller, then the ranges from 1; formatted as uid_map lines', () => {
  const map = buildMap(1000, [{ start: 100000, count: 65536 }, { start: 300000, count: 10 }]);
  assert.equal(formatMap(map), '0 1000 1\n1 100000 65536\n65537 300000 10\n');
  assert.ok(isMapped(map, 0) && isMapped(map, 65546) && !isMapped(map, 65547));
  assert.equal(formatMap(buildMap(1000, [])), '0 1000 1\n');
});

test('planIdMap: single needs nothing; subids without ranges is a one-line error', () => {
  const nobody = { uid: 4242424, gid: 4242424, name: 'no-such-user-here' };
  assert.deepEqual(planIdMap('single', nobody), { mode: 'single', uidMap: [{ inside: 0, outside: 4242424, count: 1 }], gidMap: [{ inside: 0, outside: 4242424, count: 1 }] });
  assert.equal(planIdMap(undefined, nobody).mode, 'single');
  assert.throws(() => planIdMap('subids', nobody), /^Error: --userns=subids: no range for no-such-user-here in \/etc\/subuid/);
});

test('resolveUser follows docker: numbers need no passwd entry, names do', () => {
  const passwd = parsePasswd('root:x:0:0:root:/root:/bin/sh\n# c\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken:line\n');
  const groups = parseGroup('root:x:0:\nstaff:x:50:alice,bob\nalice:x:1000:\n');
  assert.deepEqual(resolveUser('0', undefined, passwd, groups), { uid: 0, gid: 0, home: '/root', groups: [] });
  assert.deepEqual(resolveUser('alice', undefined, passwd, groups), { uid: 1000, gid: 1000, home: '/home/alice', groups: [50] });
  assert.deepEqual(resolveUser('1000', 'staff', passwd, groups), { uid: 1000, gid: 50, home: '/home/alice', groups: [] });
  assert.deepEqual(resolveUser('4000', undefined, passwd, groups), { uid: 4000, gid: 0, home: '/', groups: [] });
  assert.deepEqual(resolveUser('4000', '77', passwd, groups), { uid: 4000, gid: 77, home: '/', groups: [] });
  assert.throws(() => resolveUser('bob', undefined, passwd, groups), /unable to find user bob/);
  assert.throws(() => resolveUser('alice', 'nope', passwd, groups), /unable to find group nope/);
});

test('exit statuses: own code, 128+signal', () => {
  assert.equal(statusFromWait(3, null), 3);
  assert.equal(statusFromWait(null, 'SIGKILL'), 137);
  assert.equal(statusFromWait(null, 'SIGTERM'), 143);
});

test('step 1 asks unshare for every namespace and for no orphans', () => {
  const args = unshareArgs({});
  for (const flag of ['--user', '--keep-caps', '--mount', '--pid', '--fork', '--kill-child', '--uts', '--ipc']) assert.ok(args.includes(flag), flag);
  assert.deepEqual(args.slice(0, 2), ['--pdeathsig', 'KILL']);
  assert.ok(args.at(-1).endsWith('/init/main.js'));
});
