// Lab 9 — the life of a container: its supervisor, its stdio and log, exec, stop, rm.
// Chapter: chapters/09-lifecycle.md
// Code:    src/supervisor/ (the supervisor), src/runtime/records.ts (state),
//          src/init/console.ts (-t), src/runtime/exec.ts (exec), src/cli/lifecycle.ts (stop, rm)
//
// Run: node labs/09-lifecycle/lab.mjs
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { check, lab, section, show } from '../lib.mjs';

/** Fields 4 (ppid) and 6 (session id) of /proc/PID/stat, after the command name. */
function stat(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), sid: Number(fields[3]) };
}
const children = (pid) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const link = (path) => { try { return readlinkSync(path); } catch { return '(gone)'; } };

await lab('Lab 9 · the life of a container', async ({ runner, rootfs, cellblock }) => {
  const record = (id) => JSON.parse(readFileSync(join(runner.runtimeDir, 'cellblock', 'containers', `${id}.json`), 'utf8'));
  const detached = async (flags, ...command) => {
    const r = await cellblock(['run', '-d', ...flags, '--rootfs', rootfs, ...command]);
    if (r.code !== 0) throw new Error(`run -d failed: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };

  section('run -d returns; a supervisor stays with the container');
  const started = Date.now();
  const id = await detached(['--name', 'lab9', '--hostname', 'lab9'], 'sh', '-c', 'echo to stdout; echo to stderr >&2; echo note > /tmp/note; exec sleep 1000');
  const took = Date.now() - started;
  const { pid, supervisorPid } = record(id);
  const [unshare] = children(supervisorPid);
  show([
    ['run -d', `returned after ${took} ms`, ''],
    ['supervisor', `pid ${supervisorPid}, parent ${stat(supervisorPid).ppid}, session ${stat(supervisorPid).sid}`, ''],
    ['its child (unshare)', `pid ${unshare}`, ''],
    ['pid 1 of the container', `pid ${pid}, parent ${stat(pid).ppid}`, 'pid 1'],
  ], ['', 'host', 'container']);
  check(took < 5000, 'run -d came back at once, the container still running', `${took} ms`);
  check((await cellblock(['ps', '-q'])).stdout.trim() === id.slice(0, 12), 'ps lists it as running');
  check(stat(supervisorPid).sid === supervisorPid, 'the supervisor leads a session of its own (no terminal can hang it up)');
  check(stat(pid).ppid === unshare, "the supervisor is the parent of unshare, whose child is the container's pid 1");

  section("pid 1's stdio, and the log");
  const fds = [0, 1, 2].map((fd) => link(`/proc/${pid}/fd/${fd}`));
  show([['fds 0, 1, 2 of pid 1', fds.join('  '), '']], ['', 'host', '']);
  // Named pipes the supervisor unlinked at once (src/supervisor/fifo.ts): "(deleted)".
  const isPipe = (target) => /^pipe:/.test(target) || /\/fifo-\d+-\d+ \(deleted\)$/.test(target);
  check(fds[0] === '/dev/null' && isPipe(fds[1]) && isPipe(fds[2]) && fds[1] !== fds[2],
    'stdin is /dev/null (no -i), stdout and stderr are two pipes to the supervisor', fds.join(', '));
  const logs = await cellblock(['logs', 'lab9']);
  show([['cellblock logs', `stdout: ${JSON.stringify(logs.stdout)}`, `stderr: ${JSON.stringify(logs.stderr)}`]], ['', '', '']);
  check(logs.stdout === 'to stdout\n' && logs.stderr === 'to stderr\n', 'the log keeps stdout and stderr apart');
  const entry = JSON.parse(readFileSync(join(record(id).storage, 'ctr.log'), 'utf8').split('\n')[0]);
  check(typeof entry.time === 'string' && ['stdout', 'stderr'].includes(entry.stream), 'ctr.log has one JSON object per line: log, stream, time', JSON.stringify(entry));

  section('-t: a terminal from the container\'s own devpts');
  const ttyId = await detached(['-t'], 'sleep', '1000');
  const ttyFd = link(`/proc/${record(ttyId).pid}/fd/0`);
  const tty = await cellblock(['run', '--rm', '-t', '--rootfs', rootfs, 'tty']);
  show([['fd 0 of pid 1 (run -d -t)', ttyFd, ''], ['tty', '', tty.stdout.trim()]]);
  check(ttyFd === '/dev/pts/0', "with -t, pid 1's stdin is /dev/pts/0 of the container's devpts", ttyFd);
  check(tty.stdout === '/dev/pts/0\r\n', '`tty` inside prints /dev/pts/0 (and the terminal turns \\n into \\r\\n)', JSON.stringify(tty.stdout));

  section('exec joins the namespaces that exist');
  const inside = await cellblock(['exec', 'lab9', 'sh', '-c', 'readlink /proc/1/ns/pid; readlink /proc/self/ns/pid; hostname; cat /tmp/note']);
  const [pid1Ns, execNs, hostname, note] = inside.stdout.trim().split('\n');
  show([['pid namespace of pid 1 / of exec', '', `${pid1Ns} / ${execNs}`], ['hostname', '', hostname], ['/tmp/note', '', note]]);
  check(pid1Ns === execNs && pid1Ns === link(`/proc/${pid}/ns/pid`), "exec runs in the container's pid namespace", inside.stderr);
  check(hostname === 'lab9' && note === 'note', 'and sees its hostname and its files');

  section('stop: SIGTERM, then SIGKILL for a pid 1 that ignores it');
  const polite = await detached([], 'sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done');
  let clock = Date.now();
  await cellblock(['stop', '-t', '2', 'lab9']);
  const deafTook = Date.now() - clock;
  clock = Date.now();
  await cellblock(['stop', '-t', '10', polite]);
  const politeTook = Date.now() - clock;
  const status = (await cellblock(['wait', 'lab9', polite])).stdout.trim().split('\n');
  show([['sleep as pid 1 (no handler)', `stop -t 2: ${deafTook} ms`, `exit ${status[0]}`], ['sh with trap … TERM', `stop -t 10: ${politeTook} ms`, `exit ${status[1]}`]]);
  check(status[0] === '137' && deafTook >= 2000, 'pid 1 without a SIGTERM handler: SIGKILL after the 2 s grace period, 137');
  check(status[1] === '0' && politeTook < 5000, 'pid 1 with one: it exits at once, status 0');

  section('rm leaves nothing');
  const storage = record(id).storage;
  await cellblock(['rm', '-f', 'lab9', polite, ttyId]);
  const left = [join(runner.runtimeDir, 'cellblock', 'containers', `${id}.json`), storage].filter((path) => existsSync(path));
  check(left.length === 0 && (await cellblock(['ps', '-a', '-q'])).stdout === '', 'record and storage (log, writable layer) are gone', left.join(', '));
});
