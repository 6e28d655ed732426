// Lab 4 — the pid namespace: pid 1, its own /proc, and how signals reach it.
// Chapter: chapters/04-pid-namespace.md
// Code:    src/init/proc.ts (a /proc of the new pid namespace, or the host's with --no-isolate=pid),
//          src/runtime/run.ts (cellblock relays SIGTERM & co. to pid 1)
//
// Run: node labs/04-pid-namespace/lab.mjs
import { readFileSync, readdirSync } from 'node:fs';
import { check, hostPidOf, lab, note, procStatus, section, show } from '../lib.mjs';

/** Whether the SigCgt mask of /proc/PID/status says PID has a handler for signal NUMBER. */
const catches = (pid, number) => (BigInt(`0x${procStatus(pid)?.SigCgt ?? '0'}`) >> BigInt(number - 1)) & 1n ? 'yes' : 'no';
const comm = (pid) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return '(gone)'; } };
const SIGTERM = 15;

await lab('Lab 4 · the pid namespace', async ({ sh, start }) => {
  section('ps inside sees only the container\'s processes');
  const ps = await sh('ps -o pid,comm; :'); // `:` keeps sh alive as pid 1 while ps runs
  const rows = ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  const hostCount = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  show([['processes', `${hostCount} in the host's /proc`, rows.map(([pid, name]) => `${pid} ${name}`).join(', ')]]);
  check(rows.length === 2 && rows[0][0] === '1' && rows[0][1] === 'sh' && rows[1][1] === 'ps',
    'ps lists just two processes: the payload as pid 1, and ps itself', `got ${JSON.stringify(rows)}`);
  if (rows.length === 2 && Number(rows[1][0]) > 2) {
    note(`ps got pid ${rows[1][0]}, not 2: the init's Node threads used the pids in between (a thread has a pid too)`);
  }

  section('one process, two pids');
  // The trap makes pid 1 catch SIGTERM; the sleep gives it a child to wait for.
  const trapped = start(['sh', '-c', 'trap "exit 42" TERM; sleep 30 & echo "ready $!"; wait']);
  const sleepInside = Number((await trapped.line(/^ready \d+$/)).split(' ')[1]);
  const pid1 = trapped.pid1();
  const sleepHost = hostPidOf(trapped.child.pid, sleepInside);
  show([
    ['the payload (sh)', `pid ${pid1}`, 'pid 1'],
    ['its child (sleep)', `pid ${sleepHost} (${comm(sleepHost)})`, `pid ${sleepInside}`],
    ['NSpid line of the sleep', procStatus(sleepHost)?.NSpid.replace(/\s+/g, ' '), ''],
  ]);
  check(pid1 !== undefined && pid1 !== 1, 'the container\'s pid 1 has another pid on the host', `host pid ${pid1}`);
  check(comm(sleepHost) === 'sleep', `the sleep that is pid ${sleepInside} inside is host pid ${sleepHost} (NSpid ends in ${sleepInside})`);

  section('SIGTERM reaches a pid 1 that handles it');
  const handles = catches(pid1, SIGTERM);
  trapped.signal('SIGTERM'); // to cellblock, which relays it to pid 1
  const trappedEnd = await trapped.wait(5_000);
  if (!trappedEnd) await trapped.stop();
  show([['SIGTERM handler (SigCgt)', `/proc/${pid1}/status`, `pid 1: ${handles}`],
    ['SIGTERM to cellblock', `kill -TERM ${trapped.child.pid}`, trappedEnd ? `exit ${trappedEnd.code}` : 'still running']]);
  check(handles === 'yes', 'the shell with `trap … TERM` has a SIGTERM handler');
  check(trappedEnd?.code === 42, 'cellblock relays SIGTERM to pid 1, whose trap exits 42', trappedEnd ? `got exit ${trappedEnd.code}; ${trapped.stderr.trim()}` : 'still running 5 s later: the SIGTERM never reached pid 1 (src/runtime/run.ts relays it)');

  section('…and is dropped by a pid 1 that does not');
  // Pid 1 of a namespace gets only the signals it has a handler for (SIGKILL
  // and SIGSTOP excepted, when they come from outside). `sleep` has none.
  const stubborn = start(['sh', '-c', 'echo ready; exec sleep 30']);
  await stubborn.line(/^ready$/);
  const stubbornPid = stubborn.pid1();
  const stubbornHandles = `pid 1 (${comm(stubbornPid)}): ${catches(stubbornPid, SIGTERM)}`;
  stubborn.signal('SIGTERM');
  // Proving that nothing happens needs a deadline: two seconds is ample for a
  // process to die of a signal it would not ignore.
  const afterTerm = await stubborn.wait(2_000);
  if (stubbornPid) process.kill(stubbornPid, 'SIGKILL'); // the container's pid 1, started by this lab
  const afterKill = await stubborn.wait();
  show([['SIGTERM handler (SigCgt)', `/proc/${stubbornPid}/status`, stubbornHandles],
    ['SIGTERM to cellblock', `kill -TERM ${stubborn.child.pid}`, afterTerm ? `exit ${afterTerm.code}` : 'still running after 2 s'],
    ['SIGKILL to pid 1', `kill -KILL ${stubbornPid}`, afterKill ? `exit ${afterKill.code}` : 'still running']]);
  check(afterTerm === null, 'a pid 1 without a SIGTERM handler keeps running after SIGTERM', `it exited: ${JSON.stringify(afterTerm)}`);
  check(afterKill?.code === 137, 'SIGKILL from the host ends it: exit 137 (128 + 9)',
    /sigprocmask unblock failed/.test(stubborn.stderr)
      ? `util-linux unshare < 2.40 exits 1 instead of re-raising SIGKILL (util-linux#2614): ${stubborn.stderr.trim()}`
      : `got ${JSON.stringify(afterKill)}; ${stubborn.stderr.trim()}`);

  section('the before beside the after: --no-isolate=pid');
  // The same probe with and without a pid namespace. Without one, the
  // command stays in the host's pid namespace, and its /proc is the host's
  // (bound: a fresh proc mount there is the host's to make, src/init/proc.ts).
  const probe = `echo $$; echo; ls -d /proc/[0-9]* | wc -l; test -d /proc/${process.pid} && echo visible || echo hidden; cat /proc/1/comm; echo $PPID; cat /proc/$PPID/comm 2>/dev/null || echo none`;
  const [own, shared] = [await sh(probe), await sh(probe, { flags: ['--no-isolate=pid'] })];
  const parse = (r) => { const [pid, , count, lab, one, ppid, parent] = r.stdout.trim().split('\n'); return { pid, count, lab, one, ppid, parent }; };
  const [a, b] = [parse(own), parse(shared)];
  const hostInit = comm(1);
  show([
    ['the command ($$)', a.pid, b.pid],
    ['processes in /proc', a.count, `${b.count} (the host has ${readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length})`],
    [`this lab's node (pid ${process.pid})`, a.lab, b.lab],
    ['/proc/1/comm', a.one, `${b.one} (the host's pid 1)`],
    ['its parent ($PPID)', `${a.ppid} (outside the namespace)`, `${b.ppid} (${b.parent})`],
  ], ['', 'default: a pid namespace', '--no-isolate=pid: the host\'s']);
  check(own.code === 0 && a.pid === '1' && a.lab === 'hidden' && a.one === 'sh' && a.ppid === '0',
    'by default the command is pid 1, its parent is "0", and this lab\'s own process is not to be seen', own.stderr.trim() || own.stdout.trim());
  check(shared.code === 0 && b.pid !== '1' && Number(b.pid) > 1, '--no-isolate=pid: the command is not pid 1 but has its host pid', shared.stderr.trim() || shared.stdout.trim());
  check(b.lab === 'visible' && b.one === hostInit, `…it sees the host's processes: this lab's node, and the host's pid 1 (${hostInit})`, `lab ${b.lab}, pid 1 is ${b.one}`);
  check(b.parent === 'unshare', '…and its parent, cellblock\'s unshare, which a pid namespace would have hidden', `parent: ${b.parent}`);
});
