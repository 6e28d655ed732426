// What travels between the harness and the guest, and the guest's scratch disk.
//
// The exchange share is a fresh directory the guest mounts read-write over
// 9p at /cellblock-vm: the harness leaves job.env (which project, which
// user) and command.sh in it; the guest leaves `output` (everything the job
// printed) and `status` (its exit code). No status file means the job never
// finished: the VM crashed, or the harness's timeout killed it.
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One argument for sh: in single quotes, where only ' itself needs care. */
export function shellQuote(argument) {
  return `'${String(argument).replaceAll("'", "'\\''")}'`;
}

/** Sparse, so 8 GiB costs only what the tests write. */
const SCRATCH_BYTES = 8 * 1024 ** 3;

/** mkfs.ext4 lives in /sbin, which an ordinary user's PATH may lack. */
function mkfsExt4() {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']) {
    if (dir && existsSync(join(dir, 'mkfs.ext4'))) return join(dir, 'mkfs.ext4');
  }
  throw new Error('mkfs.ext4 not found: install e2fsprogs (apt-get install e2fsprogs)');
}

/**
 * A job directory for running COMMAND (argv) as USER ({ name, uid }) in PROJECT:
 * { dir, share, scratch }. The scratch disk is an empty ext4 image, the
 * guest's /dev/vda: the user's home and temporary directories go there
 * because a rootless overlay mount needs user.* xattrs, which the guest
 * kernel's tmpfs does not have.
 */
export function prepareJob({ project, user, command }) {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-vm-'));
  const share = join(dir, 'share');
  mkdirSync(share);
  // The user reads command.sh; only guest root writes here.
  chmodSync(share, 0o755);
  // Our PATH, unless we are root running the job as another user: root's
  // PATH may name directories that user cannot enter.
  const path = user.uid === process.getuid() ? process.env.PATH : '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const env = { CELLBLOCK_VM_PROJECT: project, CELLBLOCK_VM_USER: user.name, CELLBLOCK_VM_PATH: path };
  writeFileSync(join(share, 'job.env'), Object.entries(env).map(([key, value]) => `${key}=${shellQuote(value)}\n`).join(''));
  writeFileSync(join(share, 'command.sh'), `exec ${command.map(shellQuote).join(' ')}\n`);
  const scratch = join(dir, 'scratch.ext4');
  const fd = openSync(scratch, 'w');
  ftruncateSync(fd, SCRATCH_BYTES);
  closeSync(fd);
  // No journal (the disk is thrown away after the run) and lazy inode
  // tables, so making it writes a few MB, not the whole 8 GiB.
  execFileSync(mkfsExt4(), ['-q', '-F', '-O', '^has_journal', '-E', 'lazy_itable_init=1', '-m', '0', scratch], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { dir, share, scratch };
}

/** The job's exit status (undefined if it never reported one) and output. */
export function jobResult(job) {
  const read = (name) => {
    try {
      return readFileSync(join(job.share, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const status = read('status')?.trim();
  return { status: status && /^\d+$/.test(status) ? Number(status) : undefined, output: read('output') ?? '' };
}

export function removeJob(job) {
  rmSync(job.dir, { recursive: true, force: true });
}
