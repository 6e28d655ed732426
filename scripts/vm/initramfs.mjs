// The test VM's initramfs: busybox-static, the kernel modules, and /init.
//
// An initramfs is a "newc" cpio archive the kernel unpacks into a tmpfs and
// runs /init from. Ours is ~2.4 MB and uncompressed: under software
// emulation decompressing would cost more than reading the extra bytes.
// busybox has its own `cpio -o -H newc`, so no GNU cpio is needed.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUSYBOX } from '../lib/rootfs.mjs';

/** Stage 1 of the guest, which becomes /init. */
export const INIT_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'init.sh');

/** Write to OUT an initramfs with MODULES ([{ name, contents }], in load order). */
export function buildInitramfs(out, modules) {
  const tree = mkdtempSync(join(dirname(out), 'initramfs-'));
  try {
    for (const dir of ['bin', 'dev', 'proc', 'sys', 'modules']) mkdirSync(join(tree, dir));
    copyFileSync(BUSYBOX, join(tree, 'bin/busybox'));
    chmodSync(join(tree, 'bin/busybox'), 0o755);
    // One link per applet, so /init can say `mount` rather than `busybox mount`.
    // Not for "busybox" itself: that link would replace the binary.
    for (const applet of execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n')) {
      if (applet && applet !== 'busybox') symlinkSync('busybox', join(tree, 'bin', applet));
    }
    copyFileSync(INIT_SCRIPT, join(tree, 'init'));
    chmodSync(join(tree, 'init'), 0o755);
    for (const module of modules) writeFileSync(join(tree, 'modules', `${module.name}.ko`), module.contents);
    writeFileSync(join(tree, 'modules/order'), modules.map((module) => `${module.name}\n`).join(''));
    // cpio wants every directory listed before what is in it: sorted paths are.
    const paths = ['.', ...readdirSync(tree, { recursive: true }).sort()];
    const archive = execFileSync(BUSYBOX, ['cpio', '-o', '-H', 'newc'], { cwd: tree, input: paths.join('\n') + '\n', maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'ignore'] });
    writeFileSync(out, archive);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}
