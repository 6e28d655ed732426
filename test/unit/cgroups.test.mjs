// docker's resource flags and the cgroup v2 files they become (src/cgroups/limits.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { cpuWeightFromShares, formatSize, hasLimits, ioWeightFromBlkio, limitFiles, parseLimits, parseSize } from '../../dist/cgroups/limits.js';

test('sizes are 1024-based, as docker reads them', () => {
  assert.equal(parseSize('32m', '--memory'), 32 * 1024 * 1024);
  assert.equal(parseSize('32MB', '--memory'), 32 * 1024 * 1024);
  assert.equal(parseSize('1.5g', '--memory'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('512k', '--memory'), 512 * 1024);
  assert.equal(parseSize('100', '--memory'), 100);
  assert.throws(() => parseSize('3x', '--memory'), /invalid --memory "3x"/);
  assert.throws(() => parseSize('-1m', '--memory'), /invalid --memory/);
  assert.throws(() => parseSize('99999999999999999999999p', '--memory'), /too large/);
  assert.equal(formatSize(32 * 1024 * 1024), '32m');
  assert.equal(formatSize(1024 ** 3), '1g');
  assert.equal(formatSize(1000), '1000');
});

test("cpu.weight from docker's cpu shares: 2 → 1, 1024 → 100 (the kernel's default), 262144 → 10000", () => {
  assert.equal(cpuWeightFromShares(2), 1);
  assert.equal(cpuWeightFromShares(1024), 100);
  assert.equal(cpuWeightFromShares(262144), 10000);
  assert.ok(cpuWeightFromShares(512) < 100 && cpuWeightFromShares(2048) > 100);
  assert.equal(ioWeightFromBlkio(10), 1);
  assert.equal(ioWeightFromBlkio(1000), 10000);
});

test('the files each flag writes, in order', () => {
  const limits = parseLimits({
    memory: '32m', memoryReservation: '16m', cpus: '0.5', cpuShares: '512', cpusetCpus: '0', pidsLimit: '20', blkioWeight: '500',
  });
  const none = () => false;
  assert.deepEqual(limitFiles(limits, none), [
    ['memory.max', '33554432'],
    ['memory.low', '16777216'],
    ['cpu.max', '50000 100000'],
    ['cpu.weight', String(cpuWeightFromShares(512))],
    ['cpuset.cpus', '0'],
    ['pids.max', '20'],
    ['io.weight', String(ioWeightFromBlkio(500))],
  ]);
  // With swap accounting, docker's default swap is as much as memory; BFQ takes the weight as it is.
  const has = (file) => file === 'memory.swap.max' || file === 'io.bfq.weight';
  assert.deepEqual(limitFiles(parseLimits({ memory: '32m', blkioWeight: '500' }), has), [
    ['memory.max', '33554432'], ['memory.swap.max', '33554432'], ['io.bfq.weight', '500'],
  ]);
  assert.deepEqual(limitFiles(parseLimits({ memory: '32m', memorySwap: '-1' }), none), [['memory.max', '33554432'], ['memory.swap.max', 'max']]);
  assert.deepEqual(limitFiles(parseLimits({ memory: '32m', memorySwap: '32m' }), none), [['memory.max', '33554432'], ['memory.swap.max', '0']]);
  assert.deepEqual(limitFiles({ deviceReadBps: [{ path: '/dev/x', major: 8, minor: 0, rate: 1048576 }] }, none), [['io.max', '8:0 rbps=1048576']]);
});

test('no flags, or flags that mean "no limit", set nothing', () => {
  assert.equal(hasLimits(parseLimits({})), false);
  assert.equal(hasLimits(parseLimits({ pidsLimit: '-1', cpuShares: '0', blkioWeight: '0' })), false);
  assert.equal(hasLimits(parseLimits({ pidsLimit: '1' })), true);
});

test('bad values are one-line errors naming the flag', () => {
  const cases = [
    [{ memory: '1k' }, /--memory 1k: the minimum is 6MB/],
    [{ memorySwap: '64m' }, /--memory-swap needs --memory/],
    [{ memory: '64m', memorySwap: '32m' }, /cannot be less than --memory/],
    [{ memory: '32m', memoryReservation: '64m' }, /--memory-reservation 64m: it must be less than --memory/],
    [{ cpus: '0' }, /--cpus "0": the range is 0.01 to/],
    [{ cpus: String(availableParallelism() + 1) }, /the range is 0.01 to/],
    [{ cpus: 'half' }, /--cpus "half"/],
    [{ cpuShares: '-5' }, /--cpu-shares -5/],
    [{ cpuShares: 'many' }, /--cpu-shares "many": expected a whole number/],
    [{ cpusetCpus: 'first' }, /--cpuset-cpus "first"/],
    [{ pidsLimit: '2.5' }, /--pids-limit "2.5"/],
    [{ blkioWeight: '5' }, /--blkio-weight 5: the range is 10 to 1000/],
    [{ deviceReadBps: ['/dev/null'] }, /expected DEVICE:RATE/],
    [{ deviceReadBps: ['/dev/null:1m'] }, /\/dev\/null is not a block device/],
    [{ deviceWriteBps: ['/no/such:1m'] }, /\/no\/such: ENOENT/],
  ];
  for (const [flags, pattern] of cases) {
    assert.throws(() => parseLimits(flags), (error) => pattern.test(error.message) && !error.message.includes('\n'), JSON.stringify(flags));
  }
});
