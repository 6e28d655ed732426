// cp: files in and out of a stopped container (its overlay mounted again)
// and of a running one (through its pid 1's root, mounts included), by
// docker's path rules; a symlink the container made cannot lead cp to the
// host's files; bad input is one line and changes nothing.
// As an unprivileged user, from an image imported from a busybox tree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForLine } from '../../scripts/lib/as-user.mjs';
import { buildBusyboxRootfs } from '../../scripts/lib/rootfs.mjs';
import { assertOneLineError, containerFixture, hasSubordinateIds } from './fixture.mjs';

const c = containerFixture();
const cellblock = (...args) => c.runner.cellblock(args);
const BASE = 'localhost/cp-base:1';
let secret; // a host directory the image's symlinks point at
let host; // the host side of the copies

before(async () => {
  secret = mkdtempSync(join(tmpdir(), 'cellblock-cp-secret-'));
  writeFileSync(join(secret, 'secret'), 'host secret\n');
  c.runner.chownTree(secret); // the user's own files: exactly what a container must not reach
  const root = buildBusyboxRootfs(join(c.runner.tempDir('cellblock-cp-base-'), 'rootfs'));
  mkdirSync(join(root, 'srv/data'), { recursive: true });
  writeFileSync(join(root, 'srv/data/old'), 'old\n');
  symlinkSync(`/../../..${secret}`, join(root, 'etc/abs-escape'));
  symlinkSync(`../../../../../../..${secret}`, join(root, 'etc/rel-escape'));
  c.runner.chownTree(root);
  const imported = await cellblock('import', root, BASE);
  assert.equal(imported.code, 0, imported.stderr);
  const made = await cellblock('run', '--name', 'stopped', BASE, 'sh', '-c',
    'echo made > /made; mkdir -p /d/sub; echo deep > /d/sub/f; ln -s /made /d/link; chmod 0555 /d/sub');
  assert.equal(made.code, 0, made.stderr);
  host = c.runner.tempDir('cellblock-cp-host-');
});
after(() => rmSync(secret, { recursive: true, force: true }));

/** Run `cellblock ARGS > FILE` as the test user: a tar on stdout, kept as bytes. */
async function toFile(args, file) {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  return c.runner.exec('sh', ['-c', `"${process.execPath}" -- "${c.runner.cli}" ${quoted} > '${file}'`]);
}

/** `tar -tv` of FILE as "mode owner name" lines. */
function listing(file) {
  return execFileSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' }).trim().split('\n')
    .map((line) => line.split(/\s+/)).map((f) => `${f[0]} ${f[1]} ${f.slice(5).join(' ')}`);
}

test('cp out of a stopped container: a file, a directory as a new name, into a directory, its contents, and a tar on stdout', async () => {
  const file = await cellblock('cp', 'stopped:/made', join(host, 'made'));
  assert.equal(file.code, 0, file.stderr);
  assert.equal(readFileSync(join(host, 'made'), 'utf8'), 'made\n');
  assert.equal(statSync(join(host, 'made')).uid, c.runner.user.uid, 'copied-out files belong to the caller');

  assert.equal((await cellblock('cp', 'stopped:/d', join(host, 'newname'))).code, 0);
  assert.equal(readFileSync(join(host, 'newname/sub/f'), 'utf8'), 'deep\n');
  assert.equal(readlinkSync(join(host, 'newname/link')), '/made', 'a symlink is copied as a symlink');
  assert.equal(statSync(join(host, 'newname/sub')).mode & 0o777, 0o555, 'modes are kept (a read-only directory too)');

  mkdirSync(join(host, 'existing'));
  c.runner.chownTree(join(host, 'existing'));
  assert.equal((await cellblock('cp', 'stopped:/d', join(host, 'existing'))).code, 0);
  assert.equal(readFileSync(join(host, 'existing/d/sub/f'), 'utf8'), 'deep\n', 'a directory copied to a directory lands inside it');
  assert.equal((await cellblock('cp', 'stopped:/d/.', join(host, 'existing'))).code, 0);
  assert.equal(readFileSync(join(host, 'existing/sub/f'), 'utf8'), 'deep\n', '"DIR/." copies the contents');
  assert.equal((await cellblock('cp', 'stopped:/made', join(host, 'existing'))).code, 0);
  assert.equal(readFileSync(join(host, 'existing/made'), 'utf8'), 'made\n', 'a file copied to a directory keeps its name');

  const tar = join(host, 'd.tar');
  const piped = await toFile(['cp', 'stopped:/d', '-'], tar);
  assert.equal(piped.code, 0, piped.stderr);
  assert.deepEqual(listing(tar), ['drwxr-xr-x 0/0 d', 'lrwxrwxrwx 0/0 d/link -> /made', 'dr-xr-xr-x 0/0 d/sub', '-rw-r--r-- 0/0 d/sub/f'],
    'the tar carries the owners as the container sees them');
});

test('cp into a stopped container: owned by its root, -a keeps the ids as it maps them, a tar from stdin', async (t) => {
  writeFileSync(join(host, 'in.txt'), 'from the host\n');
  mkdirSync(join(host, 'tree/inner'), { recursive: true });
  writeFileSync(join(host, 'tree/inner/x'), 'x\n');
  c.runner.chownTree(host);
  assert.equal((await cellblock('cp', join(host, 'in.txt'), 'stopped:/tmp/')).code, 0);
  assert.equal((await cellblock('cp', join(host, 'tree'), 'stopped:/srv/copied')).code, 0);
  const tar = join(host, 'check.tar');
  assert.equal((await toFile(['cp', 'stopped:/tmp/in.txt', '-'], tar)).code, 0);
  assert.deepEqual(listing(tar), ['-rw-r--r-- 0/0 in.txt']);
  assert.equal((await toFile(['cp', 'stopped:/srv/copied', '-'], tar)).code, 0);
  assert.deepEqual(listing(tar).map((l) => l.split(' ').slice(1).join(' ')), ['0/0 copied', '0/0 copied/inner', '0/0 copied/inner/x']);
  // The image's own files are still there: the copy went into the container's layer.
  assert.equal((await toFile(['cp', 'stopped:/srv/data/old', '-'], tar)).code, 0);

  // A tar on stdin is extracted into the directory, as it is.
  const fromStdin = await c.runner.exec('sh', ['-c', `cd '${host}' && tar -cf - in.txt | "${process.execPath}" -- "${c.runner.cli}" cp - stopped:/srv`]);
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.equal((await toFile(['cp', 'stopped:/srv/in.txt', '-'], tar)).code, 0);
  assert.deepEqual(listing(tar), ['-rw-r--r-- 0/0 in.txt']);

  if (!hasSubordinateIds(c.runner.user)) return t.skip(`SKIP (-a): ${c.runner.user.name} has no /etc/subuid range`);
  // A host file of your subordinate uid start+999 is uid 1000 in the container.
  const start = Number(readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${c.runner.user.name}:`) || l.startsWith(`${c.runner.user.uid}:`)).split(':')[1]);
  if (process.getuid() !== 0) return t.skip('SKIP (-a): making a file of a subordinate id on the host needs root');
  const theirs = join(c.runner.tempDir('cellblock-cp-subid-'), 'theirs');
  writeFileSync(theirs, 'theirs\n');
  execFileSync('chown', [`${start + 999}:${start + 999}`, theirs]);
  assert.equal((await cellblock('cp', '-a', theirs, 'stopped:/srv/')).code, 0);
  assert.equal((await cellblock('cp', theirs, 'stopped:/srv/flat')).code, 0);
  assert.equal((await toFile(['cp', 'stopped:/srv/theirs', '-'], tar)).code, 0);
  assert.deepEqual(listing(tar), ['-rw-r--r-- 1000/1000 theirs']);
  assert.equal((await toFile(['cp', 'stopped:/srv/flat', '-'], tar)).code, 0);
  assert.deepEqual(listing(tar), ['-rw-r--r-- 0/0 flat']);
});

test("a running container: cp sees what it wrote and what it mounted, and what cp puts in is the container's at once", async (t) => {
  // --cap-add SYS_ADMIN: the container mounts a tmpfs of its own (chapter 11: not in docker's default set).
  const child = c.runner.spawnCellblock(['run', '--name', 'running', '--cap-add', 'SYS_ADMIN', BASE, 'sh', '-c', [
    'mount -t tmpfs none /srv && echo on-tmpfs > /srv/m || echo no-mount',
    'echo while-running > /running',
    'echo ready',
    'while [ ! -e /tmp/in.txt ]; do sleep 0.1; done',
    'stat -c "%u:%g" /tmp/in.txt; cat /tmp/in.txt; sleep 1000',
  ].join('; ')]);
  child.stdin.end();
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  try {
    await waitForLine(child.stdout, /^ready$/);
    assert.equal((await cellblock('cp', 'running:/running', join(host, 'running'))).code, 0);
    assert.equal(readFileSync(join(host, 'running'), 'utf8'), 'while-running\n');

    assert.equal((await cellblock('cp', join(host, 'in.txt'), 'running:/tmp/in.txt')).code, 0);
    for (let i = 0; i < 100 && !output.includes('from the host'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.match(output, /^0:0\nfrom the host$/m, 'the container sees the file at once, owned by its root');

    if (output.includes('no-mount')) return t.skip('SKIP (mounts): the container could not mount a tmpfs here');
    const mounted = await cellblock('cp', 'running:/srv/m', join(host, 'm'));
    assert.equal(mounted.code, 0, mounted.stderr);
    assert.equal(readFileSync(join(host, 'm'), 'utf8'), 'on-tmpfs\n', "cp sees the container's own mounts, which its upper layer does not hold");
  } finally {
    await cellblock('rm', '-f', 'running');
    child.kill('SIGKILL');
  }
});

test('symlinks in the container resolve inside it: cp can neither read nor write the host files they name', async () => {
  const child = c.runner.spawnCellblock(['run', '--name', 'escape-running', BASE, 'sh', '-c', 'echo ready; sleep 1000']);
  child.stdin.end();
  try {
    await waitForLine(child.stdout, /^ready$/);
    for (const container of ['stopped', 'escape-running']) {
      for (const link of ['/etc/abs-escape', '/etc/rel-escape']) {
        const leak = join(host, `leak-${container}`);
        assertOneLineError(assert, await cellblock('cp', `${container}:${link}/secret`, leak), /no such file or directory/);
        assertOneLineError(assert, await cellblock('cp', '-L', `${container}:${link}`, leak), /no such file or directory/);
        assert.ok(!existsSync(leak), 'nothing was read from the host');
        const planted = await cellblock('cp', join(host, 'in.txt'), `${container}:${link}/planted`);
        assertOneLineError(assert, planted, /no such file or directory/);
      }
      // Copied onto the link itself, the file goes where the link points: the container's own ${secret}.
      assert.equal((await cellblock('cp', join(host, 'in.txt'), `${container}:/etc/abs-escape`)).code, 0);
      assert.equal((await cellblock('cp', `${container}:${secret}`, join(host, `landed-${container}`))).code, 0);
      assert.equal(readFileSync(join(host, `landed-${container}`), 'utf8'), 'from the host\n', 'it landed in the container');
      assert.deepEqual(readdirSync(secret), ['secret'], 'nothing was written on the host');
      assert.equal(readFileSync(join(secret, 'secret'), 'utf8'), 'host secret\n');
    }
    // Without -L, the link itself comes out: a symlink on the host, which cp did not follow.
    assert.equal((await cellblock('cp', 'stopped:/etc/abs-escape', join(host, 'the-link'))).code, 0);
    assert.ok(lstatSync(join(host, 'the-link')).isSymbolicLink());
  } finally {
    await cellblock('rm', '-f', 'escape-running');
    child.kill('SIGKILL');
  }
});

test('cp of a --rootfs container reads its directory', async () => {
  const run = await cellblock('run', '--name', 'dir-based', '--rootfs', c.rootfs, 'true');
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await cellblock('cp', 'dir-based:/etc/passwd', join(host, 'passwd'))).code, 0);
  assert.equal(readFileSync(join(host, 'passwd'), 'utf8'), readFileSync(join(c.rootfs, 'etc/passwd'), 'utf8'));
});

test('bad cp input: one line, exit 125, nothing changed', async () => {
  writeFileSync(join(host, 'keep'), 'unchanged\n');
  c.runner.chownTree(host);
  const before = readdirSync(host).sort();
  assertOneLineError(assert, await cellblock('cp', 'no-such-container:/etc/passwd', join(host, 'x')), /no such container: no-such-container/);
  assertOneLineError(assert, await cellblock('cp', 'stopped:/no/such/path', join(host, 'x')), /\/no\/such\/path: no such file or directory/);
  assertOneLineError(assert, await cellblock('cp', join(host, 'keep'), join(host, 'x')), /one side must be a container path/);
  assertOneLineError(assert, await cellblock('cp', 'stopped:/made', 'running-or-not:/x'), /copying between containers is not supported/);
  assertOneLineError(assert, await cellblock('cp', 'stopped:/d', join(host, 'keep')), /cannot copy a directory onto a file/);
  assertOneLineError(assert, await cellblock('cp', 'stopped:/made', join(host, 'absent-dir/')), /no such directory/);
  assertOneLineError(assert, await cellblock('cp', 'stopped:/made', join(host, 'absent-dir/x')), /absent-dir: no such file or directory/);
  assertOneLineError(assert, await cellblock('cp', join(host, 'absent'), 'stopped:/tmp'), /absent: no such file or directory/);
  assertOneLineError(assert, await cellblock('cp', join(host, 'keep'), 'stopped:/no/such/dir/x'), /\/no\/such\/dir: no such file or directory/);
  assertOneLineError(assert, await cellblock('cp', join(host, 'keep'), 'stopped:'), /no path after the container's name/);
  assertOneLineError(assert, await cellblock('cp', 'stopped:/made'), /missing required argument/);
  assert.deepEqual(readdirSync(host).sort(), before, 'nothing was created on the host');
  assert.equal(readFileSync(join(host, 'keep'), 'utf8'), 'unchanged\n');
});
