// cellblock exec: a process joins a running container's namespaces
// (nsenter), with the container's environment and user, docker's exit
// statuses, and a terminal of its own with -t — as an unprivileged user.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForLine } from '../../scripts/lib/as-user.mjs';
import { assertOneLineError, containerFixture, hasSubordinateIds } from './fixture.mjs';

// Registered before the fixture's own after(), so the containers stop while their runner still exists.
const running = [];
after(async () => {
  for (const child of running) {
    child.kill('SIGKILL'); // cellblock run; unshare --kill-child takes the container with it
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
});
const c = containerFixture();
let subids;

/** `run --name NAME` of a container that writes a file (its hostname, in the rootfs all share), then waits. */
async function startContainer(name, flags = []) {
  running.push(await c.startUntilReady(['--name', name, ...flags], `hostname > /tmp/hostname-${name}; echo ready; exec sleep 1000`));
}

before(async () => {
  subids = hasSubordinateIds(c.runner.user);
  await startContainer('box');
  await startContainer('single', ['--userns', 'single']);
});

const exec = (args, options) => c.runner.cellblock(['exec', ...args], options);

test('exec joins the container\'s pid namespace, hostname and mounts, and sees its files', async () => {
  const r = await exec(['box', 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; hostname; cat /tmp/hostname-box']);
  assert.equal(r.code, 0, r.stderr);
  const [pid1, hostname, written] = r.stdout.split('\n');
  assert.equal(pid1, 'sleep 1000 ', 'pid 1 is the container\'s command');
  assert.equal(hostname, written, 'the hostname is the one the container wrote in its file');
  // The same mounts, not copies: mountinfo's first field is the mount's id.
  const mounts = await exec(['box', 'sh', '-c', 'cut -d" " -f1,5 /proc/1/mountinfo; echo --; cut -d" " -f1,5 /proc/self/mountinfo']);
  const [theirs, ours] = mounts.stdout.split('--\n');
  assert.equal(ours, theirs.trimStart());
  assert.match(ours, /^\d+ \/\n/, 'its root is the container\'s root');
});

test('the container\'s environment, -e and --env-file on top, HOME from the user\'s passwd entry, -w', async () => {
  const file = join(c.runner.tempDir('cellblock-exec-env-'), 'env');
  writeFileSync(file, 'FROM_FILE=1\nBOTH=file\n');
  c.runner.chownTree(file);
  const r = await exec(['-e', 'BOTH=flag', '-e', 'HOSTNAME=changed', '--env-file', file, 'box', 'env']);
  assert.equal(r.code, 0, r.stderr);
  const env = Object.fromEntries(r.stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  assert.equal(env.PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.deepEqual([env.FROM_FILE, env.BOTH, env.HOSTNAME, env.HOME], ['1', 'flag', 'changed', '/root']);
  assert.equal(env.TERM, undefined, 'TERM only with -t');

  assert.equal((await exec(['box', 'pwd'])).stdout, '/\n', 'the container\'s working directory');
  assert.equal((await exec(['-w', '/tmp', 'box', 'pwd'])).stdout, '/tmp\n');
  // -w is looked up inside the container: an absolute symlink there stays there.
  assert.equal((await exec(['box', 'ln', '-s', '/etc', '/tmp/etc-link'])).code, 0);
  const linked = await exec(['-w', '/tmp/etc-link', 'box', 'sh', '-c', 'pwd; ls']);
  // (hostname, hosts and resolv.conf are the files every container gets: chapter 10.)
  assert.deepEqual(linked.stdout.split('\n'), ['/etc', 'group', 'hostname', 'hosts', 'passwd', 'resolv.conf', '']);
});

test('-u alice and -u 0; with a single-id map only 0 exists', async (t) => {
  const root = await exec(['-u', '0', 'box', 'sh', '-c', 'id -u; id -g; echo $HOME']);
  assert.deepEqual(root.stdout.split('\n'), ['0', '0', '/root', '']);
  // A single-id map denies setgroups: nsenter must keep our credentials there (--preserve-credentials).
  const single = await exec(['single', 'sh', '-c', 'id -u; cat /proc/self/setgroups']);
  assert.deepEqual([single.code, single.stdout], [0, '0\ndeny\n'], single.stderr);
  assertOneLineError(assert, await exec(['-u', 'alice', 'single', 'id']), /^cellblock: -u alice: uid 1000 is not mapped in the container's user namespace \(mapped: 0-0\)$/);
  if (!subids) return t.skip(`SKIP: ${c.runner.user.name} has no /etc/subuid range, so alice cannot exist`);
  const alice = await exec(['-u', 'alice', 'box', 'sh', '-c', 'id -u; id -g; echo $HOME; touch /root/x']);
  assert.deepEqual(alice.stdout.split('\n'), ['1000', '1000', '/home/alice', '']);
  assert.match(alice.stderr, /Permission denied/, 'alice is not root in there');
  assert.equal((await exec(['-u', '1000:50', 'box', 'id', '-g'])).stdout, '50\n');
});

test('exit statuses: the command\'s own, 128+N for a signal, 127 and 126 with one line', async () => {
  assert.equal((await exec(['box', 'sh', '-c', 'exit 3'])).code, 3);
  assert.equal((await exec(['box', 'sh', '-c', 'kill -TERM $$'])).code, 143);
  const missing = await exec(['box', 'nosuchcommand']);
  assert.deepEqual([missing.code, missing.stderr], [127, 'cellblock: exec: "nosuchcommand": executable file not found in $PATH\n']);
  const noFile = await exec(['box', '/no/such/file']);
  assert.deepEqual([noFile.code, noFile.stderr], [127, 'cellblock: exec: "/no/such/file": no such file or directory\n']);
  const notExecutable = await exec(['box', '/etc/passwd']);
  assert.deepEqual([notExecutable.code, notExecutable.stderr], [126, 'cellblock: exec: "/etc/passwd": permission denied\n']);
  const directory = await exec(['box', '/etc']);
  assert.deepEqual([directory.code, directory.stderr], [126, 'cellblock: exec: "/etc": is a directory\n']);
});

test('a missing or exited container, a bad flag or value: one line, exit 125', async () => {
  assert.equal((await c.runner.cellblock(['run', '--name', 'gone', '--rootfs', c.rootfs, 'true'])).code, 0);
  assertOneLineError(assert, await exec(['gone', 'true']), /^cellblock: container gone is not running$/);
  assertOneLineError(assert, await exec(['nosuch', 'true']), /^cellblock: no such container: nosuch$/);
  assertOneLineError(assert, await exec(['--bogus', 'box', 'true']), /unknown option '--bogus'/);
  assertOneLineError(assert, await exec(['box']), /missing required argument 'command'/);
  assertOneLineError(assert, await exec(['-w', 'relative', 'box', 'true']), /-w "relative": the working directory must be an absolute path/);
  assertOneLineError(assert, await exec(['-w', '/no/such/dir', 'box', 'true']), /^cellblock: working directory \/no\/such\/dir: no such directory in the container$/);
  assertOneLineError(assert, await exec(['-u', 'bob', 'box', 'true']), /unable to find user bob: no matching entries in passwd file/);
  assertOneLineError(assert, await exec(['-e', '=x', 'box', 'true']), /-e: invalid environment variable "=x"/);
  assertOneLineError(assert, await exec(['--detach-keys', 'ctrl-1', '-it', 'box', 'sh']), /invalid --detach-keys "ctrl-1": unknown key "ctrl-1"/);
  assertOneLineError(assert, await exec(['-d', '-t', 'box', 'true']), /-d cannot be combined with -i or -t/);
  assertOneLineError(assert, await exec(['-it', 'box', 'sh']), /the input device is not a TTY/);
});

test('without -t: stdin only with -i, stdout and stderr apart, and only fds 0, 1 and 2 reach the command', async () => {
  assert.equal((await exec(['-i', 'box', 'cat'], { input: 'typed\n' })).stdout, 'typed\n');
  assert.equal((await exec(['box', 'cat'], { input: 'typed\n' })).stdout, '', 'no -i: stdin is empty');
  const both = await exec(['box', 'sh', '-c', 'echo out; echo err >&2']);
  assert.deepEqual([both.stdout, both.stderr], ['out\n', 'err\n']);
  assert.deepEqual((await exec(['box', 'sh', '-c', 'ls /proc/$$/fd; true'])).stdout.trim().split(/\s+/), ['0', '1', '2']);
});

test('-d starts the command and returns', async () => {
  const r = await exec(['-d', 'box', 'sh', '-c', 'sleep 0.5; echo done > /tmp/detached']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  for (let tries = 0; ; tries++) {
    const seen = await exec(['box', 'cat', '/tmp/detached']);
    if (seen.code === 0) {
      assert.equal(seen.stdout, 'done\n');
      break;
    }
    assert.ok(tries < 100, 'the detached command ran');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

test('SIGTERM to cellblock exec reaches the command, which may trap it', async () => {
  const child = c.runner.spawnCellblock(['exec', 'box', 'sh', '-c', 'trap "exit 42" TERM; echo ready; sleep 60 & wait']);
  child.stdin.end();
  await waitForLine(child.stdout, /^ready$/);
  child.kill('SIGTERM');
  const [code, signal] = await once(child, 'exit');
  assert.deepEqual({ code, signal }, { code: 42, signal: null });
});

/**
 * Run SCRIPT with sh under util-linux `script`, on a pty of its own (the
 * user's terminal, for cellblock), as the test user. Each [pattern, input]
 * of TYPE is typed (or, given a function, called) once the output matches. stdin stays open until the end:
 * at end of input, script would send something of its own.
 */
async function inTerminal(shellScript, type = []) {
  const child = spawn('script', ['-qec', shellScript, '/dev/null'], c.runner.spawnOptions({ stdio: ['pipe', 'pipe', 'pipe'] }));
  let output = '';
  const pending = [...type];
  child.stdout.setEncoding('latin1').on('data', (chunk) => {
    output += chunk;
    while (pending.length > 0 && pending[0][0].test(output)) {
      const [, action] = pending.shift();
      if (typeof action === 'function') action();
      else child.stdin.write(action);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  child.stdin.end();
  if (!child.stdout.readableEnded) await once(child.stdout, 'end');
  return { code, signal, output, lines: output.split(/\r?\n/) };
}

const cellblock = () => `'${process.execPath}' -- '${c.runner.cli}'`;

/** Host pid of the `cellblock ARGS…` running now (there must be exactly one). */
function pidOf(args) {
  const wanted = [c.runner.cli, ...args].join('\0');
  const found = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(wanted);
    } catch {
      return false;
    }
  });
  assert.equal(found.length, 1, `one cellblock ${args.join(' ')} runs`);
  return Number(found[0]);
}

test('exec -it on a real terminal: a pty of the container\'s devpts at the terminal\'s size, and the terminal\'s modes come back', async () => {
  const r = await inTerminal(`stty rows 30 cols 100; stty -g; ${cellblock()} exec -it box sh -c 'tty; stty size; echo $TERM'; echo "status $?"; stty -g`);
  assert.equal(r.code, 0, r.output);
  const [before, tty, size, term, status, afterwards] = r.lines;
  assert.match(tty, /^\/dev\/pts\/\d+$/);
  assert.equal(size, '30 100');
  assert.equal(term, 'xterm');
  assert.equal(status, 'status 0');
  assert.equal(afterwards, before, 'stty -g is the same before and after');
});

test('exec -it: what is typed reaches the command, and its status comes back', async () => {
  // (busybox's prompt asks the terminal where the cursor is, \e[6n: no answer comes, and it does without.)
  const r = await inTerminal(`${cellblock()} exec -it box sh; echo "status $?"`, [[/# /, 'echo $((6*7))\rexit 3\r']]);
  assert.match(r.output, /\n42\r?\n/);
  assert.equal(r.lines.at(-2), 'status 3');
});

test('exec -it: ^C stops the shell\'s job (not cellblock), a SIGTERM to cellblock reaches the command, and the terminal comes back', async () => {
  // An interactive shell runs each job in a process group of its own, the
  // terminal's foreground group: ^C is SIGINT for that job only.
  const interrupted = await inTerminal(
    `stty -g; ${cellblock()} exec -it box sh; echo "status $?"; stty -g`,
    [[/# /, 'echo started; sleep 30\r'], [/^started\r?$/m, '\x03'], [/# [^]*# /, 'echo "after $?"; exit 3\r']],
  );
  assert.match(interrupted.output, /^after 130\r?$/m, 'sleep died of SIGINT, the shell lived on');
  assert.ok(interrupted.lines.includes('status 3'), interrupted.output);
  assert.equal(interrupted.lines.at(-2), interrupted.lines[0], 'terminal modes restored');

  const terminated = await inTerminal(
    `stty -g; ${cellblock()} exec -it box sh -c 'echo ready; sleep 61'; echo "status $?"; stty -g`,
    [[/ready/, () => process.kill(pidOf(['exec', '-it', 'box', 'sh', '-c', 'echo ready; sleep 61']), 'SIGTERM')]],
  );
  assert.ok(terminated.lines.includes('status 143'), terminated.output);
  assert.equal(terminated.lines.at(-2), terminated.lines[0], 'terminal modes restored');
});

test('exec -it: the detach keys leave, and the terminal comes back', async () => {
  const r = await inTerminal(`stty -g; ${cellblock()} exec -it --detach-keys ctrl-x,x box sh -c 'echo ready; sleep 60'; echo "status $?"; stty -g`, [[/ready/, '\x18x']]);
  assert.ok(r.lines.includes('status 0'), r.output);
  assert.equal(r.lines.at(-2), r.lines[0], 'terminal modes restored');
});

test('exec -it: a resize of the user\'s terminal reaches the command', async () => {
  const marker = join(c.rootfs, 'tmp/resize-ready');
  const r = await inTerminal(
    `stty rows 30 cols 100; (while [ ! -e '${marker}' ]; do sleep 0.1; done; stty rows 40 cols 120 < /dev/tty) & ` +
    `${cellblock()} exec -it box sh -c 'stty size; touch /tmp/resize-ready; while [ "$(stty size)" = "30 100" ]; do sleep 0.1; done; stty size'`,
  );
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(r.lines.slice(0, 2), ['30 100', '40 120']);
});
