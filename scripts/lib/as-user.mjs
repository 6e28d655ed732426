// Drive cellblock as an UNPRIVILEGED user, from tests, labs, the demo and the bench.
//
// Rootless is the point of cellblock, so its checks must not pass only
// because they ran as root. When the caller is root (CI, a workshop's sudo),
// everything runs as CELLBLOCK_TEST_USER (default "cbtest", which .ci/run
// creates with /etc/subuid ranges). That user may not be able to read the
// checkout (under /root, say), so the built project is staged in a
// world-readable temporary copy — hard links, so it costs milliseconds.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, chmodSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const TEST_USER = process.env.CELLBLOCK_TEST_USER || 'cbtest';

function lookupUser(name) {
  const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  const [, , uid, gid, , home] = line.split(':');
  return { name, uid: Number(uid), gid: Number(gid), home };
}

/** The user cellblock runs as: ourselves, or the test user when we are root. */
export function unprivilegedUser() {
  if (process.getuid() !== 0) {
    return { name: execFileSync('id', ['-un'], { encoding: 'utf8' }).trim(), uid: process.getuid(), gid: process.getgid(), home: process.env.HOME };
  }
  try {
    return lookupUser(TEST_USER);
  } catch {
    throw new Error(`running as root, and the unprivileged user "${TEST_USER}" does not exist: run .ci/run, or create it (useradd -m ${TEST_USER}; usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${TEST_USER}), or set CELLBLOCK_TEST_USER`);
  }
}

function stageProject() {
  const stage = mkdtempSync(join(tmpdir(), 'cellblock-stage-'));
  chmodSync(stage, 0o755);
  for (const part of ['package.json', 'dist', 'node_modules']) {
    try {
      execFileSync('cp', ['-al', join(PROJECT, part), stage], { stdio: 'ignore' });
    } catch {
      execFileSync('cp', ['-a', join(PROJECT, part), stage]); // another filesystem: copy
    }
  }
  return stage;
}

/**
 * A way to run things as USER. `asRoot: true` runs as the real caller instead
 * (the "it works when the caller is root, too" checks).
 */
export class Runner {
  constructor({ asRoot = false, freshNotices = false } = {}) {
    this.user = asRoot ? { name: 'root', uid: 0, gid: 0, home: '/root' } : unprivilegedUser();
    const needsStage = process.getuid() === 0 && this.user.uid !== 0;
    this.stage = needsStage ? stageProject() : undefined;
    this.cli = join(this.stage ?? PROJECT, 'dist/cli/main.js');
    if (!existsSync(this.cli)) throw new Error(`${this.cli} is missing: run npm run build first`);
    this.temporaries = [];
    // Private runtime and temporary directories: records and anything left
    // behind are ours alone to count, even when other checks run at once.
    const own = this.tempDir('cellblock-runner-');
    this.runtimeDir = join(own, 'run');
    this.tmpDir = join(own, 'tmp');
    this.dataDir = join(own, 'data');
    this.configDir = join(own, 'config');
    for (const dir of [this.runtimeDir, this.tmpDir, this.dataDir, this.configDir]) {
      mkdirSync(dir, { mode: 0o700 });
    }
    // cellblock says some things once per boot (src/cgroups/plan.ts: "no
    // cgroups here"): a fresh runtime dir would hear them on its first run, so
    // checks of exact stderr see them as said already, unless FRESH_NOTICES.
    if (!freshNotices) {
      mkdirSync(join(this.runtimeDir, 'cellblock', 'notices'), { recursive: true, mode: 0o700 });
      writeFileSync(join(this.runtimeDir, 'cellblock', 'notices', 'cgroups'), 'said already (scripts/lib/as-user.mjs)\n');
    }
    for (const dir of [this.runtimeDir, this.tmpDir, this.dataDir, this.configDir]) this.chownTree(dir);
  }

  /** Options for child_process.spawn that run as our user with a clean environment. */
  spawnOptions(extra = {}) {
    const env = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: this.user.home,
      USER: this.user.name,
      LOGNAME: this.user.name,
      XDG_RUNTIME_DIR: this.runtimeDir,
      XDG_DATA_HOME: this.dataDir,
      XDG_CONFIG_HOME: this.configDir,
      TMPDIR: this.tmpDir,
      ...extra.env,
    };
    const ids = this.user.uid === process.getuid() ? {} : { uid: this.user.uid, gid: this.user.gid };
    return { ...extra, ...ids, env, cwd: extra.cwd ?? '/' };
  }

  /** Start `cellblock ARGS…`; the caller handles the process. */
  spawnCellblock(args, options = {}) {
    return spawn(process.execPath, ['--', this.cli, ...args], this.spawnOptions({ stdio: ['pipe', 'pipe', 'pipe'], ...options }));
  }

  /** Run `cellblock ARGS…` to the end: { code, signal, stdout, stderr }. */
  async cellblock(args, options = {}) {
    const result = await collect(this.spawnCellblock(args, options), options.input);
    // A supervisor dead of a bug writes why to a file (src/supervisor/crash-log.ts):
    // a failing check shows it, since the runtime dir goes with the test.
    if (/the supervisor went away/.test(result.stderr)) {
      try {
        result.stderr += `\n(supervisor-crashes.log:)\n${readFileSync(join(this.runtimeDir, 'cellblock', 'supervisor-crashes.log'), 'utf8')}`;
      } catch {
        // no crash written: it was killed
      }
    }
    return result;
  }

  /** Run any command as our user: { code, signal, stdout, stderr }. */
  exec(file, args, options = {}) {
    return collect(spawn(file, args, this.spawnOptions({ stdio: ['pipe', 'pipe', 'pipe'], ...options })), options.input);
  }

  /** A temporary directory our user owns; removed by cleanup(). */
  tempDir(prefix = 'cellblock-') {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    if (this.user.uid !== process.getuid()) execFileSync('chown', [`${this.user.uid}:${this.user.gid}`, dir]);
    this.temporaries.push(dir);
    return dir;
  }

  /** Give our user everything under DIR (after building it as root). */
  chownTree(dir) {
    if (this.user.uid !== process.getuid()) execFileSync('chown', ['-R', '-h', `${this.user.uid}:${this.user.gid}`, dir]);
  }

  cleanup() {
    // A container may leave files owned by subordinate ids, which only root
    // or a process in the user namespace can delete: checks that make such
    // files delete them from inside the container, and a failure here says so.
    for (const dir of [...this.temporaries, this.stage].filter(Boolean)) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (error) {
        if (!removeInUserNamespace(dir)) process.stderr.write(`cellblock checks: could not remove ${dir}: ${error.code ?? error.message}\n`);
      }
    }
    this.temporaries = [];
  }
}

/**
 * Without root, files of subordinate ids (an image's layers, say) can only be
 * deleted from inside a user namespace: cellblock's own removeTree does that.
 */
function removeInUserNamespace(dir) {
  const script = `const { removeTree } = await import(${JSON.stringify(join(PROJECT, 'dist/image/unpack.js'))});
    const { planIdMap } = await import(${JSON.stringify(join(PROJECT, 'dist/userns/idmap.js'))});
    await removeTree(${JSON.stringify(dir)}, planIdMap());`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' }).status === 0;
}

export function collect(child, input) {
  const stdout = [];
  const stderr = [];
  child.stdout?.on('data', (chunk) => stdout.push(chunk));
  child.stderr?.on('data', (chunk) => stderr.push(chunk));
  if (child.stdin) {
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  }
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ code, signal, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }));
  });
}

/**
 * Host pid of the container's pid 1 under a running `cellblock run` whose pid
 * is CELLBLOCK_PID: cellblock → its supervisor → setpriv, which became
 * unshare → pid 1 (its great-grandchild).
 */
export function containerPid(cellblockPid) {
  const children = (pid) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  let pid = cellblockPid;
  for (let depth = 0; depth < 3 && pid !== undefined; depth++) [pid] = children(pid);
  return pid;
}

/** Resolve with the first line of STREAM that matches PATTERN; reject after TIMEOUT ms. */
export function waitForLine(stream, pattern, timeout = 10_000) {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeout} ms; saw: ${JSON.stringify(seen)}`)), timeout);
    const onData = (chunk) => {
      seen += chunk;
      const line = seen.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) finish(undefined, line);
    };
    const finish = (error, line) => {
      clearTimeout(timer);
      stream.off('data', onData);
      if (error) reject(error);
      else resolvePromise(line);
    };
    stream.on('data', onData);
  });
}
