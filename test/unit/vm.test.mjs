// Unit tests of the VM harness's pure parts (scripts/vm/): module order,
// the bzImage's payload, shell quoting, the console filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleLoadOrder } from '../../scripts/vm/modules.mjs';
import { extractVmlinux } from '../../scripts/vm/kernel.mjs';
import { shellQuote } from '../../scripts/vm/job.mjs';
import { consoleFilter } from '../../scripts/vm/qemu.mjs';

function withTempDir(body) {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-vm-unit-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fake module: a .modinfo-like run of NUL-terminated key=value strings. */
const fakeModule = (depends) => Buffer.from(`\0license=GPL\0depends=${depends}\0vermagic=6.1.0\0`);

test('modules load dependencies first, each once; built-in ones are skipped; - and _ are one', () => {
  withTempDir((dir) => {
    mkdirSync(join(dir, 'kernel/fs/x'), { recursive: true });
    writeFileSync(join(dir, 'kernel/fs/x/top.ko'), fakeModule('mid,base'));
    writeFileSync(join(dir, 'kernel/fs/x/mid.ko'), fakeModule('base,built_in'));
    writeFileSync(join(dir, 'kernel/fs/x/base.ko'), fakeModule(''));
    writeFileSync(join(dir, 'kernel/fs/x/other_one.ko'), fakeModule('base'));
    writeFileSync(join(dir, 'modules.builtin'), 'kernel/lib/built-in.ko\n');
    const order = moduleLoadOrder(dir, ['top', 'other-one']).map((module) => module.name);
    assert.deepEqual(order, ['base', 'mid', 'top', 'other_one']);
    assert.throws(() => moduleLoadOrder(dir, ['absent']), /absent is neither a module in .* nor built in/);
  });
});

test('the uncompressed kernel comes out of a bzImage by its boot header, size trailer and all', () => {
  withTempDir((dir) => {
    const elf = Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(4096, 7)]);
    // What the kernel build does: an xz stream with x86 BCJ, then the size.
    const size = Buffer.alloc(4);
    size.writeUInt32LE(elf.length);
    const payload = Buffer.concat([execFileSync('xz', ['--format=xz', '--check=crc32', '--x86', '--lzma2', '-c'], { input: elf }), size]);
    const setupSectors = 3;
    const image = Buffer.alloc((setupSectors + 1) * 512 + 100 + payload.length);
    image[0x1f1] = setupSectors;
    image.writeUInt32LE(100, 0x248); // payload_offset, from the start of the protected-mode code
    image.writeUInt32LE(payload.length, 0x24c);
    payload.copy(image, (setupSectors + 1) * 512 + 100);
    writeFileSync(join(dir, 'vmlinuz'), image);
    assert.equal(extractVmlinux(join(dir, 'vmlinuz'), join(dir, 'vmlinux')), true);
    assert.deepEqual(readFileSync(join(dir, 'vmlinux')), elf);
    // Not xz where the header points: no vmlinux, the bzImage is booted instead.
    image.fill(0, (setupSectors + 1) * 512 + 100);
    writeFileSync(join(dir, 'vmlinuz'), image);
    assert.equal(extractVmlinux(join(dir, 'vmlinuz'), join(dir, 'other')), false);
  });
});

test('shellQuote: sh reads back exactly the arguments it was given', () => {
  const args = ["it's", '$HOME', 'a b', '', 'two\nlines', '\\', '"'];
  const printed = execFileSync('sh', ['-c', `printf '%s\\0' ${args.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
  assert.deepEqual(printed.split('\0').slice(0, -1), args);
});

test('the console filter drops the tty\'s \\r, even when a chunk ends between \\r and \\n', () => {
  const seen = [];
  const filter = consoleFilter((text) => seen.push(text));
  for (const chunk of ['one\r\ntwo\r', '\nthree\r\n', 'bare\rcarriage\r\n']) filter(chunk);
  assert.equal(seen.join(''), 'one\ntwo\nthree\nbare\rcarriage\n');
});
