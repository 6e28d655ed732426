// rm -rf, from inside the user namespace of the unpacker.
//
// An unpacked layer holds files owned by subordinate ids (host uid 100999
// for the image's uid 1000) and directories with modes like 0500 or 0000.
// Outside, you may delete neither: unlink(2) needs write permission on the
// directory, and those directories are not yours. Inside a user namespace
// that maps those ids you are root over them, with CAP_DAC_OVERRIDE and
// CAP_FOWNER: the kernel honours a namespace's capabilities for files whose
// owner and group are mapped in it.
import { chmodSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Shell: chmod -R u+rwx PATH (directories only); rm -rf PATH */
export function removeHere(path: string): void {
  // Capabilities alone would do; the chmod makes it work for a tree of
  // your own files even without them, and costs one lstat per directory.
  makeDirectoriesWritable(path);
  rmSync(path, { recursive: true, force: true });
}

function makeDirectoriesWritable(path: string): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return; // lstat: a symlink is never followed
  if ((stat.mode & 0o700) !== 0o700) chmodSync(path, (stat.mode & 0o7777) | 0o700);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) makeDirectoriesWritable(join(path, entry.name));
  }
}
