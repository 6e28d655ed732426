// One unprivileged runner and one busybox root filesystem per test file.
import { after, before } from 'node:test';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Runner, waitForLine } from '../../scripts/lib/as-user.mjs';
import { buildBusyboxRootfs } from '../../scripts/lib/rootfs.mjs';
import { pidfdOpen, waitForExit } from '../../scripts/lib/pidfd.mjs';

export function containerFixture(options = {}) {
  const fixture = {};
  before(() => {
    fixture.runner = new Runner(options);
    fixture.rootfs = buildBusyboxRootfs(join(fixture.runner.tempDir('cellblock-rootfs-'), 'rootfs'));
    fixture.runner.chownTree(fixture.rootfs);
    /** `cellblock run --rm --rootfs ROOTFS [flags…] -- COMMAND…` */
    fixture.run = (flags, command, options) => fixture.runner.cellblock(['run', '--rm', '--rootfs', fixture.rootfs, ...flags, ...command], options);
    fixture.sh = (script, flags = [], options) => fixture.run(flags, ['sh', '-c', script], options);
    /**
     * Start `cellblock run --rm --rootfs ROOTFS [flags…] sh -c SCRIPT` and
     * resolve once SCRIPT has printed "ready"; if it never does, the run is killed.
     */
    fixture.startUntilReady = async (flags, script) => {
      const child = fixture.runner.spawnCellblock(['run', '--rm', '--rootfs', fixture.rootfs, ...flags, 'sh', '-c', script]);
      child.stdin.end();
      try {
        await waitForLine(child.stdout, /^ready$/);
      } catch (error) {
        child.kill('SIGKILL');
        throw error;
      }
      return child;
    };
  });
  after(() => fixture.runner?.cleanup());
  return fixture;
}

/** The one-line error contract: exit 125, exactly one stderr line, no stack trace. */
export function assertOneLineError(assert, result, pattern) {
  assert.equal(result.code, 125, `exit status (stderr: ${result.stderr})`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one stderr line, got: ${result.stderr}`);
  assert.match(lines[0], /^cellblock: /);
  assert.match(lines[0], pattern);
}

/**
 * Host pids of processes that belong to RUNNER's cellblock: anything running
 * its build (the CLI, unshare, an init), or in one of the pid NAMESPACES.
 */
export function leftoverProcesses(runner, namespaces = new Set()) {
  const project = dirname(dirname(dirname(runner.cli)));
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      return namespaces.has(readlinkSync(`/proc/${pid}/ns/pid`)) || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${project}/dist/`);
    } catch {
      return false; // exited while we looked, or not ours to read
    }
  });
}

/**
 * leftoverProcesses that do not go away by themselves within MS: a
 * supervisor may still be on its way out for a moment after the CLI it
 * answered has returned — that is not a leak, one that stays is. Each is
 * shown with its command line.
 */
export function lingeringProcesses(runner, namespaces = new Set(), ms = 3000) {
  const deadline = Date.now() + ms;
  return leftoverProcesses(runner, namespaces).filter((pid) => {
    const fd = pidfdOpen(Number(pid));
    return fd !== undefined && !waitForExit(fd, Math.max(0, deadline - Date.now()));
  }).map((pid) => `${pid}: ${describe(pid)}`);
}

function describe(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** Whether USER has a range in /etc/subuid (by name or uid), so --userns=subids works. */
export function hasSubordinateIds(user) {
  return readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${user.name}:`) || l.startsWith(`${user.uid}:`));
}
