// Lab 2 — user namespaces: root inside, you outside.
// Chapter: chapters/02-user-namespaces.md
// Code:    src/userns/idmap.ts (writing uid_map/gid_map, or newuidmap with /etc/subuid),
//          src/init/user.ts (-u: switching to another user inside)
//
// Run: node labs/02-user-namespaces/lab.mjs
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { check, lab, note, section, show, skip } from '../lib.mjs';

/** USER's ranges in an /etc/subuid-style file, in file order. */
function subordinateRanges(file, user, id) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return text.split('\n').map((line) => line.trim().split(':'))
    .filter((f) => f.length === 3 && (f[0] === user || f[0] === String(id)))
    .map(([, start, count]) => ({ start: Number(start), count: Number(count) }));
}

/** The map cellblock should write: 0 → you, then each range from id 1 on. */
function expectedMap(ownId, ranges) {
  const lines = [`0 ${ownId} 1`];
  let next = 1;
  for (const { start, count } of ranges) { lines.push(`${next} ${start} ${count}`); next += count; }
  return lines;
}

/** What an id inside becomes on the host, per MAP_LINES ("inside outside count"). */
function toHost(mapLines, inside) {
  for (const [from, to, count] of mapLines.map((l) => l.split(' ').map(Number))) {
    if (inside >= from && inside < from + count) return to + (inside - from);
  }
  return undefined;
}

const normalize = (map) => map.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));

await lab('Lab 2 · user namespaces', async ({ user, rootfs, run, sh, asUser }) => {
  section('by hand: a new user namespace with no map yet');
  // Until someone writes uid_map, no id inside corresponds to any id outside,
  // and the kernel shows every such id as the overflow uid, 65534 ("nobody").
  const bare = await asUser('unshare', ['--user', 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
  const [bareUid, ...bareMap] = bare.stdout.split('\n');
  show([['`unshare --user id -u`', user.uid, bare.code === 0 ? bareUid : `failed: ${bare.stderr.trim()}`],
    ['its /proc/self/uid_map', '0 0 4294967295', bareMap.join('').trim() || '(empty)']]);
  check(bareUid === '65534', 'a user namespace without a map makes you 65534 (nobody)',
    bare.code === 0 ? `got ${bareUid}` : `unshare --user failed (unprivileged user namespaces disabled?): ${bare.stderr.trim()}`);

  section('cellblock, --userns=single: root inside is you outside');
  const single = await sh('id -u; cat /proc/self/uid_map; touch /made-by-root; stat -c %u /made-by-root', { flags: ['--userns=single'] });
  const [insideUid, singleMap, insideOwner] = single.stdout.trim().split('\n');
  const hostOwner = existsSync(join(rootfs, 'made-by-root')) ? statSync(join(rootfs, 'made-by-root')).uid : 'missing';
  show([
    ['`id -u`', user.uid, insideUid],
    ['owner of a file root made', hostOwner, insideOwner],
    ['/proc/self/uid_map', '', singleMap?.trim().split(/\s+/).join(' ')],
  ]);
  check(insideUid === '0', 'the payload runs as uid 0 inside', `got ${insideUid}; ${single.stderr.trim()}`);
  check(hostOwner === user.uid, `a file made by root inside belongs to ${user.name} (uid ${user.uid}) on the host`, `owner is ${hostOwner}`);
  check(normalize(singleMap ?? '').join() === `0 ${user.uid} 1`, `--userns=single maps exactly one id: "0 ${user.uid} 1"`, `got "${singleMap}"`);

  section('cellblock, --userns=subids: your /etc/subuid range as well');
  const subuids = subordinateRanges('/etc/subuid', user.name, user.uid);
  const subgids = subordinateRanges('/etc/subgid', user.name, user.gid);
  const lacking = !subuids.length || !subgids.length ? `${user.name} has no range in /etc/subuid or /etc/subgid`
    : !existsSync('/usr/bin/newuidmap') && !existsSync('/bin/newuidmap') ? 'newuidmap is not installed (Debian package uidmap)' : undefined;
  if (lacking) {
    for (const part of ['uid_map and gid_map with subordinate ranges', 'chown to 1000 inside → subordinate owner outside', '-u alice']) skip(part, lacking);
    return;
  }
  note(`/etc/subuid gives ${user.name}: ${subuids.map((r) => `${r.start}+${r.count}`).join(', ')}`);
  const uidLines = expectedMap(user.uid, subuids);
  const gidLines = expectedMap(user.gid, subgids);
  const maps = await sh('cat /proc/self/uid_map; echo --; cat /proc/self/gid_map', { flags: ['--userns=subids'] });
  const [uidMap, gidMap = ''] = maps.stdout.split('--\n');
  show([['uid_map (host: /etc/subuid)', uidLines.join(' ⏎ '), normalize(uidMap).join(' ⏎ ')],
    ['gid_map (host: /etc/subgid)', gidLines.join(' ⏎ '), normalize(gidMap).join(' ⏎ ')]]);
  check(normalize(uidMap).join() === uidLines.join(), 'uid_map: 0 → you, 1… → your subordinate uids', maps.stderr.trim());
  check(normalize(gidMap).join() === gidLines.join(), 'gid_map: 0 → your gid, 1… → your subordinate gids', maps.stderr.trim());

  // A directory chowned to 1000 inside is owned by a subordinate uid outside,
  // which is not you: you cannot even delete the files in it from the host.
  // Root inside the container can, because there it is that directory's owner.
  const owned = join(rootfs, 'owned');
  const chown = await sh('mkdir /owned && echo data > /owned/file && chown -R 1000:1000 /owned && stat -c %u /owned/file');
  const hostUid = existsSync(join(owned, 'file')) ? statSync(join(owned, 'file')).uid : 'missing';
  const fromHost = await asUser('rm', ['-f', join(owned, 'file')]);
  show([['owner of /owned/file', hostUid, chown.stdout.trim()],
    ['deleting it from the host', fromHost.code === 0 ? 'deleted' : fromHost.stderr.trim().split(': ').at(-1), '']]);
  check(hostUid === toHost(uidLines, 1000), `uid 1000 inside is ${toHost(uidLines, 1000)} on the host (subuid start + 999)`, `host owner is ${hostUid}; ${chown.stderr.trim()}`);
  check(fromHost.code !== 0 && existsSync(join(owned, 'file')), `${user.name} cannot delete a file in a directory owned by a subordinate uid`);
  const cleanup = await sh('rm -rf /owned');
  check(cleanup.code === 0 && !existsSync(owned), 'root inside the container can delete it', cleanup.stderr.trim());

  section('-u alice: another user of the container\'s /etc/passwd');
  const alice = await sh('id -u; id -G', { flags: ['-u', 'alice'] });
  const [aliceUid, aliceGroups = ''] = alice.stdout.trim().split('\n');
  const refused = await run(['id'], { flags: ['--userns=single', '-u', 'alice'] });
  show([['`-u alice`: id -u / id -G', `${toHost(uidLines, 1000)} on the host`, `${aliceUid} / ${aliceGroups}`],
    ['-u alice, --userns=single', '', `${refused.code}: ${refused.stderr.trim()}`]]);
  check(aliceUid === '1000', 'alice runs as uid 1000', `got ${aliceUid}; ${alice.stderr.trim()}`);
  check(aliceGroups.split(' ').includes('50'), 'alice is in group 50 (staff lists her in /etc/group)', `groups: ${aliceGroups}`);
  check(refused.code === 125, 'with a single-id map there is no uid 1000, and cellblock says so (125)', `got ${refused.code}`);
});
