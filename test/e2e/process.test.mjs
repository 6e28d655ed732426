// A container is a process: exit statuses, stdio, signals, bad input, and no
// leftovers — checked as an unprivileged user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { containerPid } from '../../scripts/lib/as-user.mjs';
import { pidfdOpen, waitForExit } from '../../scripts/lib/pidfd.mjs';
import { assertOneLineError, containerFixture, hasSubordinateIds, leftoverProcesses, lingeringProcesses } from './fixture.mjs';

const c = containerFixture();

test('exit statuses pass through: 0 and 3', async () => {
  assert.equal((await c.run([], ['true'])).code, 0);
  assert.equal((await c.sh('exit 3')).code, 3);
});

test('126 when the command cannot be executed, 127 when it is not found', async () => {
  const notExecutable = await c.run([], ['/etc/passwd']);
  assert.equal(notExecutable.code, 126);
  assert.equal(notExecutable.stderr, 'cellblock: exec: "/etc/passwd": cannot execute (EACCES)\n');
  const missing = await c.run([], ['no-such-command']);
  assert.equal(missing.code, 127);
  assert.equal(missing.stderr, 'cellblock: exec: "no-such-command": executable file not found in $PATH\n');
  assert.equal((await c.run([], ['/no/such/file'])).code, 127);
});

test('137 when the payload is killed with SIGKILL from the host', async () => {
  const child = await c.startUntilReady([], 'echo ready; exec sleep 60');
  const pid = containerPid(child.pid);
  assert.ok(pid, 'found the container pid 1 on the host');
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^NSpid:\s+\d+\s+1$/m);
  process.kill(pid, 'SIGKILL');
  const [code] = await once(child, 'exit');
  assert.equal(code, 137);
});

for (const [label, flags] of [['root', []], ['alice (-u changes the ids, which clears the parent-death signal)', ['-u', 'alice']]]) {
  test(`cellblock killed with SIGKILL takes its container with it, payload as ${label}`, async (t) => {
    if (flags.length && !hasSubordinateIds(c.runner.user)) return t.skip(`SKIP: ${c.runner.user.name} has no /etc/subuid range, so alice cannot exist`);
    const child = await c.startUntilReady(flags, 'echo ready; sleep 60 & wait');
    const pid1 = pidfdOpen(containerPid(child.pid));
    assert.ok(pid1 !== undefined, 'found the container pid 1 on the host');
    child.kill('SIGKILL');
    assert.ok(waitForExit(pid1, 5_000), 'pid 1 of the container exited');
  });
}

test('stdin, stdout and stderr pass straight through', async () => {
  const r = await c.run([], ['cat'], { input: 'hi\n' });
  assert.equal(r.stdout, 'hi\n');
  const both = await c.sh('echo out; echo err >&2');
  assert.deepEqual([both.stdout, both.stderr], ['out\n', 'err\n']);
});

test('only fds 0, 1 and 2 reach the payload', async () => {
  // "; true" keeps sh as pid 1: alone, busybox sh would exec ls in its place.
  const r = await c.sh('ls /proc/$$/fd; true');
  assert.deepEqual(r.stdout.trim().split(/\s+/), ['0', '1', '2']);
});

test('the payload starts with no signal ignored or blocked (Node ignores SIGPIPE; execve keeps that)', async () => {
  // grep itself is the payload here (a shell would ignore SIGQUIT on its own).
  const r = await c.run([], ['grep', '-E', '^Sig(Ign|Blk)', '/proc/self/status']);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(/\s+/)), [['SigBlk:', '0000000000000000'], ['SigIgn:', '0000000000000000']]);
  const pipe = await c.sh('yes | head -1');
  assert.deepEqual([pipe.stdout, pipe.stderr], ['y\n', ''], 'yes dies of SIGPIPE quietly');
});

test('SIGTERM to cellblock reaches pid 1, which may trap it', async () => {
  const child = await c.startUntilReady([], 'trap "exit 42" TERM; echo ready; sleep 60 & wait');
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 42);
});

test('an unreadable --env-file, a bad -u or -e, an unknown flag or a missing rootfs: one line, exit 125, nothing stored', async () => {
  const dir = c.runner.tempDir('cellblock-env-');
  const secret = join(dir, 'secret.env');
  writeFileSync(secret, 'A=1\n');
  chmodSync(secret, 0o000);
  const before = (await c.runner.cellblock(['ps', '-a', '-q'])).stdout;
  const cases = [
    [['run', '--rm', '--rootfs', '/no/such/rootfs', 'true'], /--rootfs \/no\/such\/rootfs: no such directory/],
    [['run', '--bogus', '--rootfs', c.rootfs, 'true'], /unknown option '--bogus'/],
    [['run', '-u', '1:2:3', '--rootfs', c.rootfs, 'true'], /invalid -u "1:2:3"/],
    [['run', '-e', '=oops', '--rootfs', c.rootfs, 'true'], /invalid environment variable "=oops"/],
    [['run', '--env-file', secret, '--rootfs', c.rootfs, 'true'], new RegExp(`--env-file ${secret}: EACCES`)],
    [['run', '--env-file', join(dir, 'absent'), '--rootfs', c.rootfs, 'true'], /ENOENT/],
    [['run', '-w', 'relative', '--rootfs', c.rootfs, 'true'], /must be an absolute path/],
    [['run', '--userns', 'bogus', '--rootfs', c.rootfs, 'true'], /--userns.*bogus/],
    [['run', '--rootfs', c.rootfs], /no command given/],
  ];
  for (const [args, pattern] of cases) assertOneLineError(assert, await c.runner.cellblock(args), pattern);
  assert.equal((await c.runner.cellblock(['ps', '-a', '-q'])).stdout, before);
  // The init is spawned before the input is checked: it must be gone too.
  assert.deepEqual(leftoverProcesses(c.runner), []);
});

test('without util-linux on PATH: one line naming what is missing, exit 125, no hang', async () => {
  // (--network none: the default network's helper, pasta, is not on that PATH either, and would be named first.)
  const r = await c.runner.cellblock(['run', '--rm', '--network', 'none', '--rootfs', c.rootfs, 'true'], { env: { PATH: '/nonexistent' } });
  assertOneLineError(assert, r, /cannot start setpriv\/unshare \(util-linux\): spawn setpriv ENOENT/);
});

test('-e, --env-file, -u, -w shape the payload environment as docker does', async () => {
  const dir = c.runner.tempDir('cellblock-env-');
  const file = join(dir, 'app.env');
  writeFileSync(file, '# settings\nFROM_FILE=1\nBOTH=file\n');
  chmodSync(file, 0o644);
  const r = await c.runner.cellblock(['run', '--rm', '--rootfs', c.rootfs, '--env-file', file, '-e', 'BOTH=flag', '-e', 'FLAG=x y', '-w', '/made/here', 'sh', '-c', 'echo "CWD=$(pwd)"; env']);
  assert.equal(r.code, 0, r.stderr);
  const env = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(env.PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.match(env.HOSTNAME, /^[0-9a-f]{12}$/);
  assert.equal(env.HOME, '/root');
  assert.deepEqual([env.FROM_FILE, env.BOTH, env.FLAG, env.CWD], ['1', 'flag', 'x y', '/made/here']);
  assert.equal(env.USER, undefined, 'nothing leaks from the caller environment');
  const unknownUser = await c.run(['-u', 'bob'], ['true']);
  assertOneLineError(assert, unknownUser, /unable to find user bob/);
});

test('--name is unique; ps -a shows exited containers; rm removes them', async () => {
  const name = `probe-${randomBytes(3).toString('hex')}`;
  const first = await c.runner.cellblock(['run', '--name', name, '--rootfs', c.rootfs, 'sh', '-c', 'exit 7']);
  assert.equal(first.code, 7);
  const listed = (await c.runner.cellblock(['ps', '-a'])).stdout.split('\n').find((l) => l.endsWith(name));
  assert.match(listed, /"sh -c exit 7".*Exited \(7\)/);
  assertOneLineError(assert, await c.runner.cellblock(['run', '--name', name, '--rootfs', c.rootfs, 'true']), new RegExp(`"${name}" is already in use`));
  assert.deepEqual(leftoverProcesses(c.runner), [], 'the early-spawned init of the refused run is gone');
  assert.equal((await c.runner.cellblock(['rm', name])).code, 0);
  assert.ok(!(await c.runner.cellblock(['ps', '-a'])).stdout.includes(name));
  assertOneLineError(assert, await c.runner.cellblock(['rm', name]), /no such container/);
});

test('20 runs in a row leave no processes, mounts, temporary directories or records behind', async () => {
  const state = async () => ({
    mounts: readFileSync('/proc/self/mountinfo', 'utf8'),
    // cellblock runs with TMPDIR set to this runner's own directory.
    tmp: readdirSync(c.runner.tmpDir),
    runtime: readdirSync(c.runner.runtimeDir, { recursive: true }).sort(),
    records: (await c.runner.cellblock(['ps', '-a', '-q'])).stdout,
  });
  const before = await state();
  // Each run leaves a background sleep behind in its pid namespace: pid 1's
  // exit must take it along. We note each run's pid namespace to look for it.
  const namespaces = new Set();
  for (let i = 0; i < 20; i++) {
    const r = await c.sh(`readlink /proc/self/ns/pid; sleep 60 & exit ${i % 4}`);
    assert.equal(r.code, i % 4, r.stderr);
    namespaces.add(r.stdout.trim());
  }
  // (Namespace inode numbers are recycled once a namespace is gone, so the set may be small.)
  assert.deepEqual(lingeringProcesses(c.runner, namespaces), []);
  assert.deepEqual(await state(), before);
});

/**
 * Start a container whose shell leaves three orphans (sleep 1) and then
 * becomes `sleep 30`, which never calls wait(): the orphans belong to pid 1.
 * Returns their states once each has exited: "Z" while nobody reaps them, or
 * "gone" once reaped.
 */
async function orphanStates(flags) {
  const child = await c.startUntilReady(flags, 'for i in 1 2 3; do (sleep 1 &); done; echo ready; exec sleep 30');
  try {
    // Each ( … &) subshell was waited for, so its sleep is now an orphan: a child
    // of pid 1 (perhaps still between fork and exec, so not named by its cmdline).
    // With --init, pid 1's first child — the lowest pid — is the payload itself.
    const pid1 = containerPid(child.pid);
    const children = readFileSync(`/proc/${pid1}/task/${pid1}/children`, 'utf8').trim().split(/\s+/).map(Number).sort((a, b) => a - b);
    const orphans = flags.includes('--init') ? children.slice(1) : children;
    assert.equal(orphans.length, 3, 'the three orphans were found under pid 1');
    for (const handle of orphans.map(pidfdOpen)) assert.ok(handle === undefined || waitForExit(handle, 5_000), 'each orphan exited');
    const states = () => orphans.map((pid) => { try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0]; } catch { return 'gone'; } });
    // An exited child is a zombie until its parent reaps it. Reaping by an init
    // follows within moments but sends us no event: wait for it, bounded.
    const deadline = Date.now() + 2_000;
    if (flags.includes('--init')) while (Date.now() < deadline && states().includes('Z')) await new Promise((r) => setTimeout(r, 20));
    return states();
  } finally {
    child.kill('SIGKILL');
    await once(child, 'close');
  }
}

test('without --init, orphans under a pid 1 that never waits stay zombies; --init reaps them', async () => {
  assert.deepEqual(await orphanStates([]), ['Z', 'Z', 'Z']);
  assert.deepEqual(await orphanStates(['--init']), ['gone', 'gone', 'gone']);
});

test('--init passes SIGTERM on to a payload that has no handler for it (exit 143)', async () => {
  const child = await c.startUntilReady(['--init'], 'echo ready; exec sleep 60');
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 143);
});

test('--init runs catatonit as pid 1 from the host, read-only at /dev/init; statuses pass through', async () => {
  const r = await c.sh('cat /proc/1/comm; echo $$; touch /dev/init 2>&1 || true; exit 5', ['--init']);
  assert.equal(r.code, 5);
  const [comm, shell, refused] = r.stdout.trim().split('\n');
  assert.equal(comm, 'init');
  assert.notEqual(shell, '1', 'the shell is not pid 1');
  assert.match(refused, /Read-only file system/);
  assert.equal((await c.run(['--init'], ['no-such-command'])).code, 127);
});
