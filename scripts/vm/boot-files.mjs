// The kernel and initramfs the test VM boots: from the cache, or built.
//
// A cache entry is named after the kernel package and a hash of what goes
// into the initramfs (stage 1's script and the module list): a new Debian
// kernel or a changed /init builds a new entry; anything else boots from the
// cache. Stage 2 (guest.sh, provision.sh) is read from the project at boot,
// so editing it costs no rebuild.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, cachedEntry, findEntry, hashOf } from './cache.mjs';
import { INIT_SCRIPT, buildInitramfs } from './initramfs.mjs';
import { currentKernelPackage, extractVmlinux, unpackKernelPackage } from './kernel.mjs';
import { WANTED_MODULES, moduleLoadOrder } from './modules.mjs';

/** { kernel, initrd, cached, description } for qemu's -kernel and -initrd. */
export async function bootFiles(log) {
  const root = cacheDir();
  const guestHash = hashOf([readFileSync(INIT_SCRIPT), WANTED_MODULES.join(',')]);
  let packageName;
  try {
    packageName = currentKernelPackage();
  } catch (error) {
    // Offline with a warm cache is fine: boot the kernel we already have.
    const entry = findEntry(root, `-${guestHash}`);
    if (!entry) throw error;
    log(`${error.message}; booting the cached ${entry}`);
    return filesIn(entry, true);
  }
  const { dir, hit } = await cachedEntry(root, `${packageName}-${guestHash}`, async (work) => {
    log(`fetching ${packageName} into ${root} (once)`);
    const download = join(work, 'download');
    mkdirSync(download);
    const unpacked = unpackKernelPackage(packageName, download);
    if (!extractVmlinux(unpacked.vmlinuz, join(work, 'vmlinux'))) {
      log('the kernel is not xz-compressed: booting the bzImage (slower under emulation)');
      copyFileSync(unpacked.vmlinuz, join(work, 'vmlinuz'));
    }
    const modules = moduleLoadOrder(unpacked.modulesDir);
    buildInitramfs(join(work, 'initramfs.cpio'), modules);
    log(`kernel ${unpacked.version}; initramfs with ${modules.map((module) => module.name).join(' ')}`);
    rmSync(download, { recursive: true, force: true }); // the other ~400 MB of modules
  });
  return filesIn(dir, hit);
}

function filesIn(dir, cached) {
  const vmlinux = join(dir, 'vmlinux');
  return { kernel: existsSync(vmlinux) ? vmlinux : join(dir, 'vmlinuz'), initrd: join(dir, 'initramfs.cpio'), cached, dir };
}
