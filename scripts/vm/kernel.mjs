// The test VM's kernel: Debian's current one, fetched and unpacked, never installed.
//
// `apt-cache depends linux-image-amd64` names the package the metapackage
// points at today (linux-image-6.1.0-56-amd64, say). `apt-get download` puts
// its .deb in the current directory and `dpkg-deb -x` unpacks it anywhere:
// no maintainer scripts run, nothing changes in /boot or the package database.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const METAPACKAGE = 'linux-image-amd64';

/** Run a command for its output; a failure says which command and what it printed. */
function run(file, args, options = {}) {
  const result = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (result.error) throw new Error(`${file}: ${result.error.code === 'ENOENT' ? 'not installed' : result.error.message}`);
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

function dependsOfMetapackage() {
  const output = run('apt-cache', ['depends', METAPACKAGE]);
  const match = /Depends: (linux-image-\S+)/.exec(output);
  if (!match) throw new Error(`apt-cache depends ${METAPACKAGE} names no kernel package:\n${output}`);
  return match[1];
}

/**
 * The name of the kernel package linux-image-amd64 depends on. Without apt's
 * package lists there is no answer: root fetches them (apt-get update),
 * anyone else is told to.
 */
export function currentKernelPackage() {
  try {
    return dependsOfMetapackage();
  } catch (error) {
    if (process.getuid() !== 0) {
      throw new Error(`cannot find Debian's current kernel package (${error.message.split('\n')[0]}): run \`sudo apt-get update\` and try again`);
    }
  }
  process.stderr.write(`cellblock-vm: apt knows no ${METAPACKAGE}: apt-get update\n`);
  run('apt-get', ['update', '-qq'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return dependsOfMetapackage();
}

/**
 * Download PACKAGE into WORK and unpack it to WORK/root:
 * { version, vmlinuz, modulesDir }.
 */
export function unpackKernelPackage(packageName, work) {
  // As root, apt drops to the _apt user to download and warns when _apt may
  // not write to the current directory; downloading as root is what we want.
  const sandbox = process.getuid() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
  run('apt-get', ['download', '-q', ...sandbox, packageName], { cwd: work });
  const deb = readdirSync(work).find((name) => name.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${packageName} left no .deb in ${work}`);
  const root = join(work, 'root');
  run('dpkg-deb', ['-x', join(work, deb), root]);
  const vmlinuz = readdirSync(join(root, 'boot')).find((name) => name.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`${deb} has no /boot/vmlinuz-*`);
  const version = vmlinuz.slice('vmlinuz-'.length);
  return { version, vmlinuz: join(root, 'boot', vmlinuz), modulesDir: join(root, 'lib/modules', version) };
}

/**
 * Write the uncompressed kernel inside the bzImage VMLINUZ to OUT and return
 * true, or return false when that is not possible (a compression other
 * than Debian's xz, or no xz command): the bzImage boots too, only slower.
 *
 * Under software emulation the kernel's own decompressor is slow: booting
 * the uncompressed ELF (qemu enters it through its PVH note) measured 2.6 s
 * to poweroff against 5.2 s for the bzImage. The x86 boot protocol header
 * (Documentation/arch/x86/boot.rst) says where the compressed payload is:
 * setup_sects at 0x1f1, payload_offset and payload_length at 0x248.
 */
export function extractVmlinux(vmlinuz, out) {
  const image = readFileSync(vmlinuz);
  const setupSectors = image[0x1f1] || 4;
  const payloadStart = (setupSectors + 1) * 512 + image.readUInt32LE(0x248);
  const payload = image.subarray(payloadStart, payloadStart + image.readUInt32LE(0x24c));
  const xzMagic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  if (!payload.subarray(0, 6).equals(xzMagic)) return false;
  // The kernel's build appends the uncompressed size after the xz stream:
  // --single-stream stops at the stream's end instead of choking on it.
  let elf;
  try {
    elf = execFileSync('xz', ['-dc', '--single-stream'], { input: payload, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    return false; // no xz-utils, or not the stream we expected: boot the bzImage
  }
  if (elf.subarray(0, 4).toString('latin1') !== '\x7fELF') return false;
  writeFileSync(out, elf);
  return true;
}
