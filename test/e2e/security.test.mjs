// Chapter 11: what the payload may do — capabilities, seccomp, masked paths —
// and what it must not reach: the runtime's file descriptors, its working
// directory, its binaries, the host through a mount target. Every check
// runs cellblock as the unprivileged test user, and most of them try the
// escape rather than only look at a setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lchownSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const c = containerFixture();
const NONE = ['--network', 'none'];

/** docker's default set as /proc/PID/status prints it. */
const DOCKER_DEFAULT = '00000000a80425fb';
const CAP_LAST = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
const ALL_CAPS = ((1n << BigInt(CAP_LAST + 1)) - 1n).toString(16).padStart(16, '0');

/** The Cap* lines of the payload's own status, as { CapEff: '…', … }. */
async function capabilities(flags) {
  const r = await c.sh('grep ^Cap /proc/self/status', [...NONE, ...flags]);
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(r.stdout.trim().split('\n').map((line) => line.split(/:\s+/)));
}

test("capabilities: docker's default set for root, none effective for another user, and --cap-add/--cap-drop/--privileged", async () => {
  assert.deepEqual(await capabilities([]), { CapInh: '0'.repeat(16), CapPrm: DOCKER_DEFAULT, CapEff: DOCKER_DEFAULT, CapBnd: DOCKER_DEFAULT, CapAmb: '0'.repeat(16) });
  const user = await capabilities(['-u', '1000']);
  assert.equal(user.CapEff, '0'.repeat(16));
  assert.equal(user.CapPrm, '0'.repeat(16));
  assert.equal(user.CapBnd, DOCKER_DEFAULT, 'the bounding set stays: a setcap program may still use it');
  const none = await capabilities(['--cap-drop', 'ALL']);
  assert.equal(none.CapEff, '0'.repeat(16));
  assert.equal(none.CapBnd, '0'.repeat(16));
  assert.equal((await capabilities(['--cap-drop', 'all', '--cap-add', 'net_raw'])).CapEff, '0000000000002000');
  assert.equal((await capabilities(['--cap-add', 'CAP_SYS_ADMIN'])).CapEff, '00000000a82425fb');
  assert.equal((await capabilities(['--cap-drop', 'NET_RAW,MKNOD'])).CapEff, '00000000a00405fb');
  assert.equal((await capabilities(['--privileged'])).CapEff, ALL_CAPS);
  assert.equal((await capabilities(['--cap-add', 'ALL', '--cap-drop', 'CHOWN'])).CapEff, (BigInt(`0x${ALL_CAPS}`) - 1n).toString(16).padStart(16, '0'));
});

test('a dropped capability is really gone: chown fails without CAP_CHOWN, and -u still works without CAP_SETUID', async () => {
  const chown = await c.sh('touch /tmp/f && chown 1:1 /tmp/f; echo status=$?', [...NONE, '--cap-drop', 'CHOWN']);
  assert.match(chown.stdout, /status=1/);
  assert.match(chown.stderr, /Operation not permitted/);
  const allowed = await c.sh('touch /tmp/f && chown 1:1 /tmp/f; echo status=$?', NONE);
  assert.match(allowed.stdout, /status=0/, allowed.stderr);
  // The init switches user before it gives up its own capabilities (as runc does).
  const user = await c.sh('id -u', [...NONE, '--cap-drop', 'SETUID', '--cap-drop', 'SETGID', '-u', '1000:1000']);
  assert.equal(user.code, 0, user.stderr);
  assert.equal(user.stdout, '1000\n');
});

test('--security-opt no-new-privileges sets the flag the kernel never clears', async () => {
  const on = await c.sh('grep ^NoNewPrivs /proc/self/status', [...NONE, '--security-opt', 'no-new-privileges']);
  assert.match(on.stdout, /NoNewPrivs:\s+1/);
  const off = await c.sh('grep ^NoNewPrivs /proc/self/status', NONE);
  assert.match(off.stdout, /NoNewPrivs:\s+0/);
});

test("seccomp: docker's profile refuses unshare(CLONE_NEWUSER) with EPERM; unconfined, CAP_SYS_ADMIN or a profile of one's own change that", async () => {
  const tryUnshare = 'grep ^Seccomp: /proc/self/status; unshare -U true && echo allowed; mkdir /made && echo made';
  const confined = await c.sh(tryUnshare, NONE);
  assert.match(confined.stdout, /^Seccomp:\s+2$/m, 'a filter is loaded (mode 2)');
  assert.match(confined.stderr, /unshare\(0x10000000\): Operation not permitted/, 'EPERM, from the filter: no capability is needed for a user namespace');
  assert.doesNotMatch(confined.stdout, /allowed/);
  assert.match(confined.stdout, /made/, 'ordinary calls pass');

  const unconfined = await c.sh(tryUnshare, [...NONE, '--security-opt', 'seccomp=unconfined']);
  assert.match(unconfined.stdout, /^Seccomp:\s+0$/m);
  assert.match(unconfined.stdout, /allowed/, unconfined.stderr);
  // docker's profile allows unshare (and mount…) to a container that keeps CAP_SYS_ADMIN.
  assert.match((await c.sh(tryUnshare, [...NONE, '--cap-add', 'SYS_ADMIN'])).stdout, /allowed/);
  assert.match((await c.sh(tryUnshare, [...NONE, '--privileged'])).stdout, /^Seccomp:\s+0$/m);

  // A profile in docker's JSON format: everything allowed, but mkdir fails with EACCES.
  const dir = c.runner.tempDir('cellblock-profile-');
  writeFileSync(join(dir, 'no-mkdir.json'), JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
  }));
  c.runner.chownTree(dir);
  const own = await c.sh(tryUnshare, [...NONE, '--security-opt', `seccomp=${join(dir, 'no-mkdir.json')}`]);
  assert.match(own.stdout, /allowed/, 'unshare is allowed by this profile');
  assert.match(own.stderr, /can't create directory '\/made': Permission denied/);
  // The profile was kept in the container's record: inspect shows the option as given.
  const name = `seccomp-${process.pid}`;
  assert.equal((await c.runner.cellblock(['run', '-d', '--name', name, ...NONE, '--security-opt', `seccomp=${join(dir, 'no-mkdir.json')}`,
    '--rootfs', c.rootfs, 'sleep', '1000'])).code, 0);
  try {
    const inspect = await c.runner.cellblock(['inspect', '-f', '{{json .HostConfig.SecurityOpt}}', name]);
    assert.equal(inspect.stdout.trim(), JSON.stringify([`seccomp=${join(dir, 'no-mkdir.json')}`]));
  } finally {
    await c.runner.cellblock(['rm', '-f', name]);
  }
});

test('exec gets what pid 1 got: the bounding set, the filter, no_new_privs; and nothing of the runtime is visible beside it', async () => {
  const status = 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; unshare -U true && echo allowed';
  /** Start a container with FLAGS, run SCRIPT in it with exec (and EXEC_FLAGS), remove it. */
  async function execIn(flags, script, execFlags = []) {
    const started = await c.runner.cellblock(['run', '-d', ...NONE, ...flags, '--rootfs', c.rootfs, 'sleep', '1000']);
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    try {
      return await c.runner.cellblock(['exec', ...execFlags, id, 'sh', '-c', script]);
    } finally {
      await c.runner.cellblock(['rm', '-f', id]);
    }
  }
  const fields = (r) => Object.fromEntries(r.stdout.trim().split('\n').filter((l) => l.includes(':')).map((l) => l.split(/:\s+/)));

  const root = await execIn([], status);
  assert.deepEqual(fields(root), { CapEff: DOCKER_DEFAULT, CapBnd: DOCKER_DEFAULT, NoNewPrivs: '0', Seccomp: '2' });
  assert.match(root.stderr, /unshare\(0x10000000\): Operation not permitted/, 'the filter refuses a user namespace to an exec too');
  assert.doesNotMatch(root.stdout, /allowed/);

  const user = fields(await execIn([], status, ['-u', '1000']));
  assert.equal(user.CapEff, '0'.repeat(16), 'another user: no effective capabilities');
  assert.equal(user.CapBnd, DOCKER_DEFAULT);

  const locked = fields(await execIn(['--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'], status));
  assert.deepEqual([locked.CapEff, locked.CapBnd, locked.NoNewPrivs], ['0'.repeat(16), '0'.repeat(16), '1']);

  const privileged = await execIn(['--privileged'], status);
  assert.deepEqual(fields(privileged), { CapEff: ALL_CAPS, CapBnd: ALL_CAPS, NoNewPrivs: '0', Seccomp: '0' });
  assert.match(privileged.stdout, /allowed/);

  // exec's init starts the command from outside the container's pid
  // namespace: its parent shows as pid 0, and the container sees only its
  // own processes — pid 1 and the exec'd shell (with ps, its child).
  const seen = await execIn([], 'cut -d" " -f4 /proc/$$/stat; for p in /proc/[0-9]*; do cat $p/comm; done');
  assert.equal(seen.code, 0, seen.stderr);
  const [parent, ...names] = seen.stdout.trim().split('\n');
  assert.equal(parent, '0', 'the parent is outside the container');
  assert.ok(names.includes('sleep') && names.includes('sh'), names.join(' '));
  assert.deepEqual(names.filter((name) => !['sleep', 'sh', 'cat'].includes(name)), [], 'no node, no nsenter: only the container\'s own');
});

test('masked paths read empty, /proc/sys and /proc/sysrq-trigger are read-only; --privileged and systempaths=unconfined show them', async () => {
  // /proc/keys exists on every kernel with keyrings (and lists the user's
  // keys, readable by all); kcore, timer_list and sched_debug only on some.
  const script = [
    'wc -c < /proc/keys',
    'for f in /proc/kcore /proc/timer_list /proc/sched_debug; do [ -e $f ] && echo "$f $(wc -c < $f)"; done',
    'echo firmware=$(ls -A /sys/firmware | wc -l)',
    'echo x > /proc/sys/kernel/hostname 2>/dev/null; echo sys=$?',
    'echo x > /proc/sysrq-trigger 2>/dev/null; echo sysrq=$?',
    'grep -c " /proc/sys " /proc/self/mountinfo',
  ].join('; ');
  const masked = await c.sh(script, NONE);
  assert.equal(masked.code, 0, masked.stderr);
  const lines = masked.stdout.trim().split('\n');
  assert.equal(lines[0], '0', '/proc/keys reads empty');
  for (const line of lines.filter((l) => l.startsWith('/proc/'))) assert.match(line, / 0$/, `${line}: reads empty`);
  assert.ok(lines.includes('firmware=0'), masked.stdout);
  assert.ok(lines.includes('sys=1') && lines.includes('sysrq=1'), masked.stdout);
  const mountinfo = await c.sh('grep " /proc/sys " /proc/self/mountinfo', NONE);
  assert.match(mountinfo.stdout, / \/proc\/sys ro[, ]/, 'a read-only mount on /proc/sys');

  for (const flags of [['--privileged'], ['--security-opt', 'systempaths=unconfined']]) {
    const open = await c.sh('wc -c < /proc/keys; grep -c " /proc/sys " /proc/self/mountinfo', [...NONE, ...flags]);
    const [size, sysMounts] = open.stdout.trim().split('\n');
    assert.ok(Number(size) > 0, `${flags}: /proc/keys is the kernel's`);
    assert.equal(sysMounts, '0', `${flags}: no mount on /proc/sys`);
  }
});

test('only fds 0, 1 and 2 reach the payload (run, -d, -t, exec), and its cwd is inside its root', async () => {
  // The shell's own fds, listed by a child it forks: not through a pipe, a
  // $(…) or a redirection (while those run, busybox's sh holds a pipe or a
  // saved fd 10), and not last in the script (sh would exec ls, and list ls's own).
  const listOwn = 'ls -l /proc/$$/fd; readlink /proc/1/cwd';
  /** "0 1 2" from ls -l's "… 0 -> /dev/null" lines, then the rest of the output. */
  const fds = (stdout) => stdout.replaceAll('\r', '').split('\n').flatMap((line) => {
    if (line.startsWith('total')) return [];
    const fd = / (\d+) -> /.exec(line);
    return [fd ? fd[1] : line];
  }).join(' ').replace(/^((\d+ )*\d+) /, '$1\n');
  const plain = await c.sh(listOwn, [...NONE, '-w', '/tmp']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(fds(plain.stdout), '0 1 2\n/tmp ');
  const tty = await c.sh(listOwn, [...NONE, '-t']);
  assert.equal(fds(tty.stdout), '0 1 2\n/ ');

  const name = `fds-${process.pid}`;
  const started = await c.runner.cellblock(['run', '-d', '--name', name, ...NONE, '--rootfs', c.rootfs, 'sleep', '1000']);
  assert.equal(started.code, 0, started.stderr);
  try {
    const pid1 = await c.runner.cellblock(['exec', name, 'sh', '-c', listOwn.replace('$$', '1')]);
    assert.equal(fds(pid1.stdout), '0 1 2\n/ ', 'the detached payload holds 0, 1 and 2 only');
    const exec = await c.runner.cellblock(['exec', name, 'sh', '-c', listOwn]);
    assert.match(fds(exec.stdout), /^0 1 2\n/, 'an exec gets 0, 1 and 2 only');
  } finally {
    await c.runner.cellblock(['rm', '-f', name]);
  }
});

test('-w /proc/self/fd/N cannot start the payload in a directory of the runtime (runc CVE-2024-21626)', async () => {
  // The init holds a dozen fds of its own until execve: none may become the
  // payload's working directory. Each N either fails in one line or, if it
  // ever were a directory, would have to be inside the root.
  const name = `cwd-${process.pid}`;
  assert.equal((await c.runner.cellblock(['run', '-d', '--name', name, ...NONE, '--rootfs', c.rootfs, 'sleep', '1000'])).code, 0);
  try {
    // The init holds fds 3 to 18 (Node's own) at that moment: 3 to 24 covers them and some.
    const tries = Array.from({ length: 22 }, (_, i) => i + 3).flatMap((n) => [['run', n], ['exec', n]]);
    for (let at = 0; at < tries.length; at += 8) {
      await Promise.all(tries.slice(at, at + 8).map(async ([verb, n]) => {
        const r = verb === 'run'
          ? await c.run([...NONE, '-w', `/proc/self/fd/${n}`], ['pwd'])
          : await c.runner.cellblock(['exec', '-w', `/proc/self/fd/${n}`, name, 'pwd']);
        if (r.code === 0) assert.fail(`${verb} -w /proc/self/fd/${n} started in ${r.stdout.trim()}`);
        assertOneLineError(assert, r, /fd\/\d+/);
      }));
    }
  } finally {
    await c.runner.cellblock(['rm', '-f', name]);
  }
});

/** sha256 of a host file. */
const digestOf = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

test("the container cannot write the runtime's binaries or reach its files while exec enters it (runc CVE-2019-5736)", async () => {
  // While `cellblock exec` runs in it, a process of the runtime (nsenter,
  // then the command) is briefly visible in the container's /proc. Root in
  // the container tries to open every /proc/PID/exe it can see for writing,
  // and lists every fd of every process, the whole time.
  const hostBinaries = [process.execPath, '/usr/bin/nsenter', '/usr/bin/unshare', '/usr/bin/setpriv', c.runner.cli]
    .filter((path) => existsSync(path));
  const before = hostBinaries.map(digestOf);
  const name = `exe-${process.pid}`;
  const attacker = [
    'while :; do',
    '  for p in /proc/[0-9]*; do',
    '    [ "${p#/proc/}" = 1 ] && continue',
    '    (echo x >> $p/exe) 2>/dev/null && echo "WROTE $(readlink $p/exe)"',
    '    for f in $p/fd/*; do l=$(readlink $f 2>/dev/null); case "$l" in /*) echo "FD $p $l";; esac; done',
    '  done',
    'done',
  ].join('\n');
  const started = await c.runner.cellblock(['run', '-d', '--name', name, ...NONE, '--rootfs', c.rootfs, 'sh', '-c', attacker]);
  assert.equal(started.code, 0, started.stderr);
  try {
    for (let i = 0; i < 15; i++) {
      const r = await c.runner.cellblock(['exec', name, 'true']);
      assert.equal(r.code, 0, r.stderr);
    }
    const logs = (await c.runner.cellblock(['logs', name])).stdout;
    assert.doesNotMatch(logs, /^WROTE/m, 'no /proc/PID/exe was writable');
    // What the processes it saw hold open: its own files (the container's
    // /dev/null, its ttys), never a path of the runtime's or the host's.
    const outside = logs.split('\n').filter((line) => line.startsWith('FD ')).map((line) => line.split(' ')[2])
      .filter((path) => !/^\/dev\/(null|pts\/\d+|tty|zero|urandom)$/.test(path) && !path.startsWith('/proc/'));
    assert.deepEqual([...new Set(outside)], [], 'fds seen in the container that point outside it');
  } finally {
    await c.runner.cellblock(['rm', '-f', name]);
  }
  assert.deepEqual(hostBinaries.map(digestOf), before, 'the host binaries are unchanged');
});

test("nothing mounted in the container comes from the runtime's own directories", async () => {
  const r = await c.sh('cat /proc/self/mountinfo', [...NONE, '-v', 'data-vol:/data']);
  assert.equal(r.code, 0, r.stderr);
  const project = c.runner.cli.replace(/\/dist\/cli\/main\.js$/, '');
  // mountinfo's 4th field is the path, within its filesystem, that a bind shows.
  const roots = r.stdout.trim().split('\n').map((line) => line.split(' ')[3]);
  for (const root of roots) {
    assert.ok(!root.startsWith(project), `${root} is the runtime's code`);
    assert.ok(!root.startsWith(c.runner.runtimeDir), `${root} is the runtime's state`);
    // Under the data dir, only this container's own files and its volumes.
    if (root.startsWith(c.runner.dataDir)) assert.match(root, /\/cellblock\/(containers\/[0-9a-f]{64}|volumes\/data-vol)\//, root);
  }
});

test('a mount target that is a symlink to /, ../.. or a host path lands inside the root, or is refused', async () => {
  const outside = c.runner.tempDir('cellblock-host-');
  writeFileSync(join(outside, 'keep'), 'host\n');
  c.runner.chownTree(outside);
  const links = { 'to-root': '/', 'to-parent': '../..', 'to-host': outside, 'to-host-file': join(outside, 'keep') };
  for (const [link, target] of Object.entries(links)) {
    symlinkSync(target, join(c.rootfs, link));
    lchownSync(join(c.rootfs, link), c.runner.user.uid, c.runner.user.gid);
  }
  // Covering the whole root is refused in one line, for tmpfs, volumes and binds.
  const hostDir = c.runner.tempDir('cellblock-bind-');
  for (const link of ['to-root', 'to-parent']) {
    for (const flags of [['--tmpfs', `/${link}`], ['-v', `vol-${link}:/${link}`], ['-v', `${hostDir}:/${link}`]]) {
      assertOneLineError(assert, await c.run([...NONE, ...flags], ['true']), /leads to \/ in the container/);
    }
  }
  // A link to a host path is followed as the container would: inside its root.
  const r = await c.sh('echo in > /to-host/new && cat /to-host/new', [...NONE, '--tmpfs', '/to-host']);
  assert.equal(r.code, 0, r.stderr);
  // A file bound through a link to a host file: the host's file is not the one covered or written.
  writeFileSync(join(hostDir, 'source'), 'source\n');
  c.runner.chownTree(hostDir);
  const bound = await c.sh('cat /to-host-file && echo written > /to-host-file', [...NONE, '-v', `${join(hostDir, 'source')}:/to-host-file`]);
  assert.equal(bound.code, 0, bound.stderr);
  assert.equal(bound.stdout, 'source\n');
  assert.equal(readFileSync(join(hostDir, 'source'), 'utf8'), 'written\n', 'the bind source was written');
  assert.deepEqual(readdirSync(outside), ['keep'], 'the host directory is untouched');
  assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'host\n');
  assert.ok(statSync(join(c.rootfs, outside, 'keep')).isFile(), 'the mount point was made inside the root');
});

test('bad security flags: one line, exit 125, nothing created', async () => {
  const profile = join(c.runner.tempDir('cellblock-profile-'), 'bad.json');
  writeFileSync(profile, '{ not json');
  c.runner.chownTree(join(profile, '..'));
  const cases = [
    [['--cap-add', 'FOO'], /--cap-add: unknown capability "FOO"/],
    [['--cap-drop', 'CAP_'], /--cap-drop: unknown capability "CAP_"/],
    [['--security-opt', 'bogus'], /--security-opt bogus: unknown option/],
    [['--security-opt', 'no-new-privileges=maybe'], /expected no-new-privileges, =true or =false/],
    [['--security-opt', 'seccomp='], /expected seccomp=unconfined or seccomp=PROFILE.json/],
    [['--security-opt', 'seccomp=/does/not/exist.json'], /does\/not\/exist\.json/],
    [['--security-opt', `seccomp=${profile}`], /seccomp profile .*bad\.json: not valid JSON/],
    [['--security-opt', 'systempaths=confined'], /expected systempaths=unconfined/],
    [['--security-opt', 'apparmor=docker-default'], /no AppArmor profile/],
    [['--security-opt', 'label=type:svirt_t'], /no SELinux labels/],
  ];
  const containers = () => c.runner.cellblock(['ps', '-aq']);
  const before = (await containers()).stdout;
  for (const [flags, pattern] of cases) assertOneLineError(assert, await c.run([...NONE, ...flags], ['true']), pattern);
  assert.equal((await containers()).stdout, before, 'no container was made');
});
