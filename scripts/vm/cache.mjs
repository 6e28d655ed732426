// Where the test VM's kernel and initramfs are kept between runs.
//
// Fetching and unpacking the kernel package and building the initramfs take
// seconds; booting takes seconds too. Caching the first part is what makes
// the second run of `npm run test:vm` cost only the boot and the tests.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** CELLBLOCK_VM_CACHE, else /var/tmp/cellblock-vm for root, else ~/.cache/cellblock-vm. */
export function cacheDir() {
  if (process.env.CELLBLOCK_VM_CACHE) return process.env.CELLBLOCK_VM_CACHE;
  if (process.getuid() === 0) return '/var/tmp/cellblock-vm';
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cellblock-vm');
}

/** A short hash of PARTS (strings or buffers): what the cached files were built from. */
export function hashOf(parts) {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/**
 * The cache entry NAME under ROOT, built by BUILD(dir) on a miss. BUILD
 * writes into a private temporary directory that is renamed into place when
 * complete, so an interrupted build or a second harness running at the same
 * time never leaves a half-built entry behind. A new entry replaces the
 * others (an older kernel, older guest scripts): each is ~70 MB.
 */
export async function cachedEntry(root, name, build) {
  const entry = join(root, name);
  if (existsSync(entry)) return { dir: entry, hit: true };
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const work = mkdtempSync(join(root, '.build-'));
  try {
    await build(work);
    try {
      renameSync(work, entry);
    } catch (error) {
      if (!existsSync(entry)) throw error; // someone else finished first: theirs is as good
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const old of readdirSync(root)) {
    if (!old.startsWith('.') && old !== name) rmSync(join(root, old), { recursive: true, force: true });
  }
  return { dir: entry, hit: false };
}

/** An entry under ROOT whose name ends with SUFFIX, if there is one (to run without apt). */
export function findEntry(root, suffix) {
  if (!existsSync(root)) return undefined;
  const name = readdirSync(root).find((entry) => !entry.startsWith('.') && entry.endsWith(suffix));
  return name && join(root, name);
}
