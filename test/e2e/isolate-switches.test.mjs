// The isolation switches (src/runtime/isolation.ts), as an unprivileged
// user: each namespace turned off shows the host's view where the default
// shows the container's own, and what cannot be turned off is refused in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pidfdOpen, waitForExit } from '../../scripts/lib/pidfd.mjs';
import { assertOneLineError, containerFixture, lingeringProcesses } from './fixture.mjs';

const c = containerFixture();
const ALL = 'user,mount,pid,uts,ipc,net,cgroup';
const hostNs = (name) => readlinkSync(`/proc/self/ns/${name}`);
const lines = (r) => r.stdout.trim().split('\n');

/** `run -d` and the container's host pid; the caller removes it. */
async function detach(flags, command) {
  const r = await c.runner.cellblock(['run', '-d', ...flags, ...command]);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  return { id, pid: Number((await c.runner.cellblock(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim()) };
}

/** Host pids of cbtest's processes whose command line is exactly ARGV (a sleep with a number no one else uses). */
function processesRunning(argv) {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `${argv.join('\0')}\0`;
    } catch {
      return false;
    }
  });
}

test('default: pid 1, its own hostname, ipc and net namespaces, and docker\'s default modes', async () => {
  const r = await c.sh('echo $$; hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/net');
  assert.equal(r.code, 0, r.stderr);
  const [pid, name, ipc, net] = lines(r);
  assert.equal(pid, '1');
  assert.notEqual(name, hostname());
  assert.notEqual(ipc, hostNs('ipc'));
  assert.notEqual(net, hostNs('net'));
  const { id } = await detach(['--rootfs', c.rootfs], ['sleep', '60']);
  const modes = await c.runner.cellblock(['inspect', '-f', '{{.HostConfig.PidMode}}|{{.HostConfig.UTSMode}}|{{.HostConfig.IpcMode}}|{{.HostConfig.UsernsMode}}|{{.HostConfig.NetworkMode}}', id]);
  const [pidMode, utsMode, ipcMode, usernsMode, networkMode] = modes.stdout.trim().split('|');
  assert.deepEqual([pidMode, utsMode, ipcMode, usernsMode], ['', '', 'private', '']);
  assert.notEqual(networkMode, 'host');
  assert.equal((await c.runner.cellblock(['rm', '-f', id])).code, 0);
});

test('--no-isolate=pid: the host\'s processes are visible, and the command is not pid 1', async () => {
  // This test's own process (root's, on the host) shows in the container's /proc.
  const r = await c.sh(`echo $$; test -d /proc/${process.pid} && echo sees-the-test; grep NSpid /proc/$$/status; ps -o pid | grep -cx ' *1'`, ['--no-isolate=pid']);
  assert.equal(r.code, 0, r.stderr);
  const [pid, sees, nspid, hostInit] = lines(r);
  assert.notEqual(pid, '1');
  assert.equal(sees, 'sees-the-test');
  assert.match(nspid, /^NSpid:\s+\d+$/, 'one pid: the host\'s namespace only');
  assert.equal(nspid.split(/\s+/)[1], pid);
  assert.equal(hostInit, '1', 'the host\'s pid 1 is in the list');
  // The default, for contrast: the test is nowhere to be seen.
  const own = await c.sh(`test -d /proc/${process.pid} && echo sees-the-test || echo hidden`);
  assert.equal(own.stdout.trim(), 'hidden');
});

test('--pid host: exec into it works, inspect says host, and stop reaches a command that is not pid 1', async () => {
  const { id, pid } = await detach(['--pid', 'host', '--rootfs', c.rootfs], ['sleep', '60']);
  try {
    assert.equal((await c.runner.cellblock(['inspect', '-f', '{{.HostConfig.PidMode}}', id])).stdout.trim(), 'host');
    const r = await c.runner.cellblock(['exec', id, 'sh', '-c', `echo $$; id -u; test -d /proc/${pid} && echo sees-the-payload; test -d /proc/${process.pid} && echo sees-the-test`]);
    assert.equal(r.code, 0, r.stderr);
    const [execPid, uid, payload, testProcess] = lines(r);
    assert.notEqual(execPid, '1');
    assert.equal(uid, '0', 'still root of the container\'s user namespace');
    assert.equal(payload, 'sees-the-payload');
    assert.equal(testProcess, 'sees-the-test');
    // sleep has no SIGTERM handler: as pid 1 it would ignore it; here the default action ends it at once.
    const started = Date.now();
    assert.equal((await c.runner.cellblock(['stop', '-t', '20', id])).code, 0);
    assert.ok(Date.now() - started < 10000, 'SIGTERM ended it, no SIGKILL after -t was needed');
    assert.equal((await c.runner.cellblock(['inspect', '-f', '{{.State.ExitCode}}', id])).stdout.trim(), '143');
  } finally {
    await c.runner.cellblock(['rm', '-f', id]);
  }
});

test('--no-isolate=pid: rm -f, and the end of the command, leave nothing of the container running', async () => {
  const sleeps = [['sleep', '4711'], ['sleep', '4712']];
  const { id, pid } = await detach(['--no-isolate=pid', '--rootfs', c.rootfs], ['sh', '-c', 'sleep 4711 & sleep 4712 & wait']);
  for (const argv of sleeps) assert.equal(processesRunning(argv).length, 1, `${argv.join(' ')} runs`);
  const top = await c.runner.cellblock(['top', id, '-o', 'pid,args']);
  assert.deepEqual(lines(top).slice(1).map((l) => l.trim().split(/\s+/).slice(1).join(' ')).sort(), ['sh -c sleep 4711 & sleep 4712 & wait', 'sleep 4711', 'sleep 4712']);
  const fd = pidfdOpen(pid);
  assert.equal((await c.runner.cellblock(['rm', '-f', id])).code, 0);
  assert.ok(fd === undefined || waitForExit(fd, 5000), 'the payload ended');
  for (const argv of sleeps) assert.deepEqual(processesRunning(argv), [], `${argv.join(' ')} is gone too`);

  // A command that exits leaves children behind; a pid namespace would kill them, the session does here.
  const r = await c.sh('sleep 4713 & echo left a sleep behind', ['--no-isolate=pid']);
  assert.equal(r.stdout.trim(), 'left a sleep behind');
  assert.deepEqual(processesRunning(['sleep', '4713']), []);
  assert.deepEqual(lingeringProcesses(c.runner), []);
});

test('--no-isolate=pid is kept in the record: start runs it again without a pid namespace', async () => {
  const { id } = await detach(['--no-isolate=pid', '--rootfs', c.rootfs], ['sh', '-c', 'echo pid $$']);
  try {
    await c.runner.cellblock(['wait', id]);
    const again = await c.runner.cellblock(['start', '-a', id]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout.trim(), /^pid \d+$/);
    assert.notEqual(again.stdout.trim(), 'pid 1');
  } finally {
    await c.runner.cellblock(['rm', '-f', id]);
  }
});

test('--no-isolate=uts (and --uts host): the host\'s hostname, in HOSTNAME too', async () => {
  for (const flags of [['--no-isolate=uts'], ['--uts', 'host']]) {
    const r = await c.sh('hostname; echo $HOSTNAME; readlink /proc/self/ns/uts', flags);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r), [hostname(), hostname(), hostNs('uts')]);
  }
  assertOneLineError(assert, await c.run(['--no-isolate=uts', '-h', 'box'], ['true']), /^cellblock: -h\/--hostname: with --no-isolate=uts the hostname is the host's/);
});

test('--no-isolate=ipc (and --ipc host): the host\'s ipc namespace, and the host\'s /dev/shm', async (t) => {
  // POSIX shared memory is a file in /dev/shm: the host's name must be the container's.
  const name = `cellblock-ipc-test-${process.pid}`;
  writeFileSync(`/dev/shm/${name}`, 'from-host\n'); // by root, 0644: anyone may read it
  t.after(() => rmSync(`/dev/shm/${name}`, { force: true }));
  for (const flags of [['--no-isolate=ipc'], ['--ipc', 'host']]) {
    const r = await c.sh(`readlink /proc/self/ns/ipc; cat /dev/shm/${name}`, flags);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r), [hostNs('ipc'), 'from-host']);
  }
  const own = await c.sh(`ls /dev/shm; grep ' /dev/shm ' /proc/self/mountinfo`);
  assert.equal(own.code, 0, own.stderr);
  assert.ok(!own.stdout.includes(name), `a container of its own ipc namespace sees an empty /dev/shm: ${own.stdout}`);
  assert.match(own.stdout, / - tmpfs shm /);
});

test('--no-isolate=net is --network host: the host\'s network namespace', async () => {
  const r = await c.sh('readlink /proc/self/ns/net', ['--no-isolate=net']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), hostNs('net'));
  assertOneLineError(assert, await c.run(['--no-isolate=net', '--network', 'none'], ['true']), /^cellblock: --no-isolate=net contradicts --network none/);
});

test('--no-isolate=cgroup (and --cgroupns host): /proc/self/cgroup says the host\'s path, /sys/fs/cgroup shows the host\'s tree', async () => {
  const host = readdirSync('/sys/fs/cgroup').sort();
  for (const flags of [['--no-isolate=cgroup'], ['--cgroupns', 'host']]) {
    const { id, pid } = await detach([...flags, '--rootfs', c.rootfs], ['sh', '-c', 'cat /proc/self/cgroup > /tmp/cgroup-seen; exec sleep 60']);
    try {
      const seen = await c.runner.cellblock(['exec', id, 'sh', '-c', 'cat /tmp/cgroup-seen; echo ---; ls /sys/fs/cgroup']);
      const [cgroup, tree] = seen.stdout.split('---\n');
      assert.equal(cgroup, readFileSync(`/proc/${pid}/cgroup`, 'utf8'), 'the same lines the host reads for it');
      assert.deepEqual(tree.trim().split('\n').sort(), host);
      assert.equal((await c.runner.cellblock(['inspect', '-f', '{{.HostConfig.CgroupnsMode}}', id])).stdout.trim(), 'host');
    } finally {
      await c.runner.cellblock(['rm', '-f', id]);
    }
  }
  // The default shows none of the host's tree: a cgroup namespace rooted at the container's own cgroup, or (no cgroup here) nothing.
  const own = await c.sh('ls /sys/fs/cgroup | wc -l; head -c 3 /proc/self/cgroup');
  assert.equal(own.code, 0, own.stderr);
  const { id } = await detach(['--rootfs', c.rootfs], ['sleep', '60']);
  const mode = (await c.runner.cellblock(['inspect', '-f', '{{.HostConfig.CgroupnsMode}}', id])).stdout.trim();
  await c.runner.cellblock(['rm', '-f', id]);
  if (mode === 'private') assert.notEqual(lines(own)[0], '0');
  else assert.equal(lines(own)[0], '0', 'no cgroup of its own: an empty /sys/fs/cgroup');
});

test('--no-isolate=mount: the host\'s mount namespace and files; an image or a directory as root is refused', async () => {
  const r = await c.runner.cellblock(['run', '--rm', '--no-isolate=mount,cgroup', '--rootfs', '/', 'sh', '-c', `echo $$; readlink /proc/self; readlink /proc/self/ns/mnt; id -u; test -d /proc/${process.pid} && echo host-proc`]);
  assert.equal(r.code, 0, r.stderr);
  const [pid, procSelf, mnt, uid, hostProc] = lines(r);
  assert.equal(pid, '1', 'a pid namespace all the same…');
  assert.notEqual(procSelf, '1', '…but the /proc it sees is the host\'s, which names it by its host pid');
  assert.equal(mnt, hostNs('mnt'));
  assert.equal(uid, '0');
  assert.equal(hostProc, 'host-proc');
  assertOneLineError(assert, await c.runner.cellblock(['run', '--rm', '--no-isolate=mount', 'busybox', 'true']),
    /^cellblock: --no-isolate=mount: without a mount namespace nothing can be mounted \(no overlay, no \/proc, no pivot_root\), so an image's layers cannot become the root/);
  assertOneLineError(assert, await c.run(['--no-isolate=mount,cgroup'], ['true']), /cannot become the root: the host's is, say so with --rootfs \/$/);
  assertOneLineError(assert, await c.runner.cellblock(['run', '--rm', '--no-isolate=mount,cgroup', '--rootfs', '/', '-v', '/tmp:/x', 'true']), /^cellblock: -v\/--mount\/--tmpfs needs a mount/);
});

test('--no-isolate with every namespace: no container at all, the command runs on the host as cbtest', async () => {
  const r = await c.runner.cellblock(['run', '--rm', `--no-isolate=${ALL}`, '--rootfs', '/', 'sh', '-c', 'id -u; readlink /proc/self/ns/user /proc/self/ns/pid /proc/self/ns/mnt; hostname']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r), [String(c.runner.user.uid), hostNs('user'), hostNs('pid'), hostNs('mnt'), hostname()]);
  const { id } = await detach([`--no-isolate=${ALL}`, '--rootfs', '/'], ['sleep', '60']);
  try {
    const modes = await c.runner.cellblock(['inspect', '-f', '{{.HostConfig.UsernsMode}} {{.HostConfig.PidMode}} {{.HostConfig.UTSMode}} {{.HostConfig.IpcMode}} {{.HostConfig.CgroupnsMode}} {{.HostConfig.NetworkMode}}', id]);
    assert.equal(modes.stdout.trim(), 'host host host host host host');
    const exec = await c.runner.cellblock(['exec', id, 'id', '-u']);
    assert.equal(exec.stdout.trim(), String(c.runner.user.uid), exec.stderr);
    assertOneLineError(assert, await c.runner.cellblock(['exec', '-u', '1000', id, 'id']), /^cellblock: exec -u: the container has no user namespace of its own/);
  } finally {
    await c.runner.cellblock(['rm', '-f', id]);
  }
});

test('bad combinations: one line, exit 125, nothing created', async () => {
  for (const [flags, pattern] of [
    [['--isolate=pid', '--no-isolate=uts'], /--isolate and --no-isolate: give one or the other/],
    [['--no-isolate='], /--no-isolate=: an empty name/],
    [['--isolate=pid,bogus'], /no namespace is called "bogus"/],
    [['--no-isolate=user'], /--no-isolate=user: without a user namespace, an unprivileged user may create no other namespace \(unshare: EPERM, it needs CAP_SYS_ADMIN\)/],
    [['--userns', 'host'], /--userns host: without a user namespace/],
    [['--isolate=pid'], /--isolate=pid: without a user namespace/],
    [['--pid', 'container:web'], /--pid container:web: use host$/],
    [['--pid', 'host', `--isolate=${ALL}`], /--pid host contradicts --isolate=/],
  ]) {
    assertOneLineError(assert, await c.run(flags, ['true']), pattern);
  }
  assert.equal((await c.runner.cellblock(['ps', '-a', '-q'])).stdout, '');
});
