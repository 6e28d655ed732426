// Lab 5 — the uts and ipc namespaces: a hostname, and System V / POSIX IPC, of the container's own.
// Chapter: chapters/05-uts-ipc.md
// Code:    src/init/uts-ipc.ts (sethostname, the /dev/mqueue mount; both skipped or bound with --no-isolate)
//
// Run: node labs/05-uts-ipc/lab.mjs
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { check, lab, section, show, skip } from '../lib.mjs';

/** shmids listed in a /proc/sysvipc/shm text (the first line is a header). */
const shmIds = (text) => text.trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/)[1]).filter(Boolean);

await lab('Lab 5 · the uts and ipc namespaces', async ({ sh, asUser }) => {
  section('namespaces of its own');
  const ns = await sh('readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc');
  const [utsInside, ipcInside] = ns.stdout.trim().split('\n');
  const [utsHost, ipcHost] = ['uts', 'ipc'].map((name) => readlinkSync(`/proc/self/ns/${name}`));
  show([['/proc/self/ns/uts', utsHost, utsInside], ['/proc/self/ns/ipc', ipcHost, ipcInside]]);
  check(utsInside?.startsWith('uts:[') && utsInside !== utsHost, 'the container has a uts namespace of its own', ns.stderr.trim());
  check(ipcInside?.startsWith('ipc:[') && ipcInside !== ipcHost, 'the container has an ipc namespace of its own', ns.stderr.trim());

  section('the hostname');
  const hostBefore = (await asUser('hostname', [])).stdout.trim();
  const byDefault = await sh('hostname; echo $HOSTNAME');
  const named = await sh('hostname', { flags: ['-h', 'lab-five'] });
  // Renaming needs CAP_SYS_ADMIN (in the container's own user namespace), which the payload keeps only when asked (chapter 11).
  const refused = await sh('hostname renamed-inside');
  const renamed = await sh('hostname renamed-inside && hostname', { flags: ['--cap-add', 'SYS_ADMIN'] });
  const hostAfter = (await asUser('hostname', [])).stdout.trim();
  const [defaultName, envName] = byDefault.stdout.trim().split('\n');
  show([
    ['`hostname` by default', hostBefore, defaultName],
    ['`hostname` with -h lab-five', hostBefore, named.stdout.trim()],
    ['`hostname renamed-inside`', '', refused.stderr.trim()],
    ['the same, --cap-add SYS_ADMIN', `${hostAfter} (afterwards)`, renamed.stdout.trim()],
  ]);
  check(/^[0-9a-f]{12}$/.test(defaultName ?? ''), 'by default the hostname is the container\'s short id (12 hex digits)', `got "${defaultName}"`);
  check(envName === defaultName, '$HOSTNAME says the same', `got "${envName}"`);
  check(named.stdout.trim() === 'lab-five', '-h NAME sets the hostname', named.stderr.trim());
  check(refused.code !== 0 && /Operation not permitted/.test(refused.stderr), 'by default root inside may not rename the container (no CAP_SYS_ADMIN)', refused.stdout + refused.stderr);
  check(renamed.stdout.trim() === 'renamed-inside', 'with --cap-add SYS_ADMIN root inside may change the container\'s hostname', renamed.stderr.trim());
  check(hostAfter === hostBefore, 'the host\'s hostname did not change', `was "${hostBefore}", now "${hostAfter}"`);

  section('System V shared memory');
  // A segment the user creates on the host lives in the host's ipc namespace;
  // the container's ipc namespace starts empty.
  const made = await asUser('ipcmk', ['-M', '4096']);
  const shmid = /(\d+)\s*$/.exec(made.stdout.trim())?.[1];
  if (made.code !== 0 || !shmid) {
    skip('System V shared memory', made.code === null ? 'ipcmk (util-linux) did not run' : `ipcmk -M failed: ${made.stderr.trim()}`);
  } else {
    try {
      const inside = await sh('cat /proc/sysvipc/shm');
      const hostIds = shmIds(readFileSync('/proc/sysvipc/shm', 'utf8'));
      const insideIds = shmIds(inside.stdout);
      show([['shm segments (/proc/sysvipc/shm)', `${hostIds.length}, including ${shmid} (ipcmk)`, insideIds.length ? insideIds.join(' ') : 'none']]);
      check(hostIds.includes(shmid), `the host lists the segment ${shmid} made with ipcmk`);
      check(inside.code === 0 && insideIds.length === 0, 'the container sees no segment at all', inside.stderr.trim() || `got ${insideIds.join(' ')}`);
    } finally {
      await asUser('ipcrm', ['-m', shmid]);
    }
  }

  section('POSIX message queues: /dev/mqueue');
  const mq = await sh("grep ' /dev/mqueue ' /proc/self/mountinfo; ls -A /dev/mqueue");
  const [mqLine = '', ...queues] = mq.stdout.trim().split('\n');
  const fstype = mqLine.split(' - ')[1]?.split(' ')[0];
  const hostMq = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/dev/mqueue');
  show([['/dev/mqueue', hostMq ? `mounted (${hostMq.split(' - ')[1]?.split(' ')[0]})` : existsSync('/dev/mqueue') ? 'a directory' : 'not mounted',
    fstype ? `${fstype}, ${queues.length} queues` : 'not mounted']]);
  check(fstype === 'mqueue', '/dev/mqueue is an mqueue mount, showing the container\'s ipc namespace', mq.stderr.trim() || mq.stdout.trim());

  section('the before beside the after: --no-isolate=uts,ipc');
  // Without its own uts and ipc namespaces the container has the host's
  // hostname (not ours to set) and the host's IPC objects.
  const probe = 'hostname; readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc';
  const [own, shared] = [await sh(probe), await sh(probe, { flags: ['--no-isolate=uts,ipc'] })];
  const [a, b] = [own, shared].map((r) => r.stdout.trim().split('\n'));
  show([
    ['hostname', a[0], b[0]],
    ['/proc/self/ns/uts', a[1], b[1]],
    ['/proc/self/ns/ipc', a[2], b[2]],
  ], ['', 'default', '--no-isolate=uts,ipc']);
  check(shared.code === 0 && b[0] === hostBefore && a[0] !== hostBefore, `with --no-isolate=uts the hostname is the host's (${hostBefore}), by default the container's own`, shared.stderr.trim());
  check(b[1] === utsHost && b[2] === ipcHost, '…and the uts and ipc namespaces are the host\'s: the same inode numbers', `${b[1]} ${b[2]}`);
  const renameRefused = await sh('hostname x', { flags: ['--no-isolate=uts', '-h', 'lab-five'] });
  check(renameRefused.code === 125 && renameRefused.stderr.trim().split('\n').length === 1, '-h with --no-isolate=uts is refused in one line: the host\'s name is not ours to set', renameRefused.stderr.trim());
});
