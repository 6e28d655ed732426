// Lab 1 — a container is a process.
// Chapter: chapters/01-process.md
// Code:    src/init/exec.ts (the init execs the payload, which keeps pid 1),
//          src/runtime/exit-status.ts (how its end becomes cellblock's exit status)
//
// Run: node labs/01-process/lab.mjs
import { readdirSync } from 'node:fs';
import { check, lab, note, section, show } from '../lib.mjs';

await lab('Lab 1 · a container is a process', async ({ sh, run, start, asUser }) => {
  section('the payload is pid 1');
  const hostShell = await asUser('sh', ['-c', 'echo $$']);
  const pid = await sh('echo $$');
  show([['`echo $$` in a shell', hostShell.stdout, pid.stdout]]);
  check(pid.stdout.trim() === '1', 'the payload is pid 1 of its pid namespace',
    'src/init/exec.ts must execve in the init itself (no fork), so the payload keeps pid 1');

  section('its exit status comes back');
  const exit3 = await sh('exit 3');
  // Inside, `kill -9 $$` is aimed at pid 1 — and the kernel drops every signal
  // sent to a pid namespace's init from inside that namespace unless the init
  // has a handler for it. SIGKILL can have no handler, so pid 1 survives it.
  const selfKill = await sh('kill -9 $$; echo survived');
  const hostSelfKill = await asUser('sh', ['-c', 'kill -9 $$; echo survived']);
  show([
    ['`exit 3`', '3', exit3.code],
    ['`kill -9 $$; echo survived`', hostSelfKill.signal ? `killed by ${hostSelfKill.signal}` : hostSelfKill.stdout, `${selfKill.stdout.trim()} (status ${selfKill.code})`],
  ]);
  check(exit3.code === 3, '`exit 3` in the container makes cellblock exit 3', `got ${exit3.code}: ${exit3.stderr.trim()}`);
  check(selfKill.stdout.trim() === 'survived' && selfKill.code === 0, 'pid 1 ignores even SIGKILL sent from inside its own namespace',
    `got status ${selfKill.code}, stdout ${JSON.stringify(selfKill.stdout)}`);

  // From the host (an ancestor namespace) SIGKILL does work, as with
  // `docker kill`: the payload dies by signal 9 and docker's rule gives 128+9.
  const victim = start(['sh', '-c', 'echo ready; exec sleep 30']);
  await victim.line(/^ready$/);
  const hostPid = victim.pid1();
  if (hostPid) process.kill(hostPid, 'SIGKILL'); // a process this lab started
  const killed = await victim.wait();
  show([['SIGKILL to pid 1 from the host', `kill -9 ${hostPid}`, killed ? `status ${killed.code}` : 'still running']]);
  check(hostPid !== undefined, 'found the host pid of the container\'s pid 1 (NSpid in /proc/PID/status)');
  check(killed?.code === 137, 'a payload killed by SIGKILL gives 137 (128 + 9)',
    /sigprocmask unblock failed/.test(victim.stderr)
      ? `util-linux unshare < 2.40 exits 1 instead of re-raising SIGKILL (util-linux#2614): ${victim.stderr.trim()}`
      : `got ${JSON.stringify(killed)}; stderr: ${victim.stderr.trim()}`);

  section('stdin, stdout and stderr are the caller\'s');
  const piped = await run(['cat'], { input: 'hi from the host\n' });
  const split = await sh('echo to-stdout; echo to-stderr >&2');
  show([
    ['`echo hi | … cat`', 'hi from the host', piped.stdout],
    ['stdout / stderr', 'to-stdout / to-stderr', `${split.stdout.trim()} / ${split.stderr.trim()}`],
  ]);
  check(piped.stdout === 'hi from the host\n', 'what is piped into cellblock reaches the payload\'s stdin');
  check(split.stdout === 'to-stdout\n' && split.stderr === 'to-stderr\n', 'stdout and stderr stay apart');

  section('only fds 0, 1 and 2 reach the payload');
  // `ls /proc/self/fd` would list ls's own fds, including the one it opened to
  // read that very directory. Listing /proc/1/fd from a child shows pid 1's —
  // the shell's — and the trailing `:` keeps busybox sh from exec'ing ls as
  // its last command (which would make ls pid 1 again).
  const fds = await sh('ls /proc/1/fd; :');
  const inside = fds.stdout.split(/\s+/).filter(Boolean);
  const nodeFds = readdirSync('/proc/self/fd').map(Number).sort((a, b) => a - b); // a Node process, as the init is before execve
  show([['open fds', `${nodeFds.length} in this Node process: ${nodeFds.join(' ')}`, inside.join(' ')]]);
  check(inside.join(' ') === '0 1 2', 'the payload inherits exactly fds 0, 1 and 2',
    `got ${inside.join(' ')}: src/init/exec.ts must mark every fd from 3 up close-on-exec`);

  section('a command that cannot run');
  const missing = await run(['no-such-command']);
  const notExecutable = await run(['/etc/passwd']);
  const hostMissing = await asUser('sh', ['-c', 'no-such-command 2>/dev/null']);
  show([
    ['missing command', hostMissing.code, `${missing.code}: ${missing.stderr.trim()}`],
    ['file that is not executable', '126', `${notExecutable.code}: ${notExecutable.stderr.trim()}`],
  ]);
  check(missing.code === 127, 'a command not found in the container gives 127', `got ${missing.code}`);
  check(notExecutable.code === 126, 'a file that cannot be executed gives 126', `got ${notExecutable.code}`);
  note('both are found (or not) in the container\'s PATH and files, never the host\'s');
});
