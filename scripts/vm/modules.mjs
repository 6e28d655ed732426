// Which kernel modules the test VM loads, and in what order.
//
// Debian builds the drivers a VM needs as modules, and the initramfs has no
// modprobe and no modules.dep (depmod writes that when a kernel package is
// installed, and we never install it). So we do modprobe's work on the host:
// each module names the modules it needs in its .modinfo section
// ("depends=virtio,virtio_ring"), and loading them depth-first, dependencies
// before dependants, is an order insmod accepts.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// What the guest needs, by what it is for; their dependencies come along.
export const WANTED_MODULES = [
  'virtio_pci', // the bus qemu's virtio devices sit on
  '9pnet_virtio', // 9p over virtio: the host's root and the exchange share
  '9p',
  'overlay', // the tmpfs overlay on the read-only host root, and containers' overlays
  'virtio_blk', // the scratch disk
  // ext4 (through jbd2) asks the crypto API for "crc32c" at mount time; with
  // modprobe that is a soft dependency, here it must be loaded by name.
  'crc32c_generic',
  'ext4',
  'fuse', // fuse-overlayfs, cellblock's overlay fallback
  'tun', // /dev/net/tun: the tap device of pasta and slirp4netns, the containers' network
];

/** Module names use - and _ interchangeably; the kernel reports them with _. */
const canonical = (name) => name.replaceAll('-', '_');

/** NAME → path of every module (.ko, or .ko.xz on newer kernels) under MODULES_DIR/kernel. */
function indexModules(modulesDir) {
  const index = new Map();
  for (const file of readdirSync(join(modulesDir, 'kernel'), { recursive: true })) {
    const match = /([^/]+)\.ko(\.xz)?$/.exec(file);
    if (match) index.set(canonical(match[1]), join(modulesDir, 'kernel', file));
  }
  return index;
}

/** Names of the modules built into the kernel image (nothing to load). */
function builtinModules(modulesDir) {
  const file = join(modulesDir, 'modules.builtin');
  if (!existsSync(file)) return new Set();
  return new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean).map((path) => canonical(path.replace(/^.*\//, '').replace(/\.ko$/, ''))));
}

/** A module's contents, decompressed when it is .ko.xz. */
export function moduleContents(path) {
  return path.endsWith('.xz') ? execFileSync('xz', ['-dc', path], { maxBuffer: 1 << 28 }) : readFileSync(path);
}

/** The "depends=" field of a module's .modinfo section: NUL-terminated "key=value" strings. */
export function modinfoDepends(contents) {
  const key = Buffer.from('\0depends=');
  const start = contents.indexOf(key);
  if (start < 0) return [];
  const end = contents.indexOf(0, start + key.length);
  return contents.subarray(start + key.length, end).toString().split(',').filter(Boolean).map(canonical);
}

/**
 * The modules to load for WANTED from the unpacked kernel package's
 * MODULES_DIR, dependencies first: [{ name, path, contents }].
 */
export function moduleLoadOrder(modulesDir, wanted = WANTED_MODULES) {
  const index = indexModules(modulesDir);
  const builtin = builtinModules(modulesDir);
  const order = [];
  const visiting = new Set();
  const visit = (name) => {
    if (builtin.has(name) || order.some((module) => module.name === name)) return;
    if (visiting.has(name)) throw new Error(`kernel modules: ${name} depends on itself`);
    const path = index.get(name);
    if (!path) throw new Error(`kernel modules: ${name} is neither a module in ${modulesDir} nor built in`);
    visiting.add(name);
    const contents = moduleContents(path);
    for (const dependency of modinfoDepends(contents)) visit(dependency);
    visiting.delete(name);
    order.push({ name, path, contents });
  };
  for (const name of wanted) visit(canonical(name));
  return order;
}
