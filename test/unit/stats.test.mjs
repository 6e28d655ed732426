// Unit tests of stats: reading a cgroup v2 directory and /proc, CPU % from
// two samples, docker's units, and what a row shows in each state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cgroupUsage, ioBytes, keyedValues, memoryInUse, memoryLimit } from '../../dist/cgroups/usage.js';
import { ioCounters, namespaceUsage, processTimes, proportionalSetSize } from '../../dist/stats/procfs.js';
import { cpuPercent, sampleContainer } from '../../dist/stats/sample.js';
import { processStartTime } from '../../dist/runtime/records.js';
import { bytesSize, decimalSize } from '../../dist/cli/format.js';
import { row } from '../../dist/cli/stats.js';

// What a kernel 6.x writes in a cgroup with cpu, io, memory and pids enabled (shortened).
const CPU_STAT = 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n';
const MEMORY_STAT = 'anon 4096000\nfile 8192000\nkernel 262144\nactive_file 2048000\ninactive_file 6144000\nslab 100000\n';
const IO_STAT = '8:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n254:1 rbytes=800 wbytes=496 rios=2 wios=1 dbytes=0 dios=0\n';

function cgroupDir(files) {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-cgroup-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('cgroup files: flat keyed values, memory without inactive page cache, "max", io.stat summed over devices', () => {
  assert.equal(keyedValues(CPU_STAT).get('usage_usec'), 2_500_000);
  assert.equal(keyedValues(MEMORY_STAT).get('inactive_file'), 6_144_000);
  assert.equal(memoryInUse(12_500_000, keyedValues(MEMORY_STAT)), 6_356_000);
  assert.equal(memoryInUse(1000, keyedValues('inactive_file 5000\n')), 1000, 'never below zero: then usage as it is');
  assert.equal(memoryLimit('max\n', 8e9), 8e9);
  assert.equal(memoryLimit('33554432\n', 8e9), 33_554_432);
  assert.deepEqual(ioBytes(IO_STAT), { read: 1_460_000, written: 314_774_000 });
  assert.deepEqual(ioBytes(''), { read: 0, written: 0 });
});

test('cgroupUsage reads a directory; what a controller that is not enabled would say is unknown', () => {
  const full = cgroupDir({ 'cpu.stat': CPU_STAT, 'memory.current': '12500000\n', 'memory.stat': MEMORY_STAT, 'memory.max': '33554432\n', 'pids.current': '3\n', 'io.stat': IO_STAT });
  const cpuOnly = cgroupDir({ 'cpu.stat': CPU_STAT });
  const unlimited = cgroupDir({ 'cpu.stat': CPU_STAT, 'memory.current': '4096\n', 'memory.stat': '', 'memory.max': 'max\n' });
  try {
    assert.deepEqual(cgroupUsage(full), {
      cpuMicros: 2_500_000,
      memory: { used: 6_356_000, limit: 33_554_432 },
      blockIO: { read: 1_460_000, written: 314_774_000 },
      pids: 3,
    });
    assert.deepEqual(cgroupUsage(cpuOnly), { cpuMicros: 2_500_000, memory: undefined, blockIO: undefined, pids: undefined });
    assert.deepEqual(cgroupUsage(unlimited).memory, { used: 4096, limit: totalmem() });
    assert.throws(() => cgroupUsage(join(full, 'gone')), /cpu\.stat: ENOENT \(the container's cgroup is gone\)/);
  } finally {
    for (const dir of [full, cpuOnly, unlimited]) rmSync(dir, { recursive: true });
  }
});

test('/proc files: times after the last ")" of the command name, PSS in bytes, read_bytes and write_bytes', () => {
  // pid (comm) state ppid … utime=14 stime=15 cutime=16 cstime=17 … num_threads=20
  const stat = '4242 (a (b) c) R 1 4242 4242 0 -1 4194560 120 0 0 0 300 50 7 3 20 0 4 0 98765 1000000 200 18446744073709551615';
  assert.deepEqual(processTimes(stat), { ticks: 360, threads: 4 });
  assert.equal(proportionalSetSize('55d0c0000000-7ffd00000000 ---p 00000000 00:00 0  [rollup]\nRss:                1868 kB\nPss:                 512 kB\nPss_Anon:            100 kB\n'), 512 * 1024);
  assert.equal(proportionalSetSize(''), 0, 'a zombie has no memory');
  const io = 'rchar: 90000\nwchar: 5000\nsyscr: 10\nsyscw: 4\nread_bytes: 81920\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n';
  assert.deepEqual(ioCounters(io), { read: 81920, written: 4096 });
});

/**
 * A pid namespace of the test's own, as a container has one: unshare's child
 * is its pid 1, a shell that burns some CPU, then says "ready" and sleeps.
 * (Not the test runner's own processes: where a CI harness started it, its
 * session may hold processes — pid 1 among them — that root without
 * CAP_SYS_PTRACE may not read, which no container of ours would have.)
 */
async function pidNamespace(t) {
  const script = 'i=0; while [ $i -lt 50000 ]; do i=$((i+1)); done; echo ready; exec sleep 60';
  const unshare = spawn('unshare', ['--user', '--map-root-user', '--pid', '--fork', '--kill-child', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => unshare.kill('SIGKILL')); // --kill-child: its pid 1, and so the namespace, end with it
  const [line] = await once(createInterface({ input: unshare.stdout }), 'line');
  assert.equal(line, 'ready');
  const children = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim();
  return Number(children);
}

test('namespaceUsage adds up the processes of a real pid namespace', async (t) => {
  const pid = await pidNamespace(t);
  const usage = namespaceUsage(pid);
  assert.ok(usage.cpuMicros > 0, `its shell has used some CPU: ${JSON.stringify(usage)}`);
  assert.equal(usage.pids, 1, 'one process, one thread');
  assert.ok(usage.memory.used > 0, JSON.stringify(usage));
  assert.equal(usage.memory.limit, totalmem());
});

test('sampleContainer: the cgroup when the record has one, nothing when it does not run', async (t) => {
  const pid = await pidNamespace(t);
  const dir = cgroupDir({ 'cpu.stat': CPU_STAT });
  const running = { status: 'running', pid, pidStartTime: processStartTime(pid) };
  try {
    const sample = sampleContainer({ ...running, cgroup: dir });
    assert.equal(sample.cpuMicros, 2_500_000, 'read from the cgroup, not /proc');
    assert.ok(Number.isFinite(sample.at));
    assert.equal(sampleContainer(running).pids, 1, 'no cgroup: /proc');
    assert.equal(sampleContainer({ ...running, status: 'exited' }), undefined);
    assert.equal(sampleContainer({ ...running, pidStartTime: '1' }), undefined, 'the pid is another process now');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('cpuPercent: CPU time over wall time, in percent of one core', () => {
  const at = (seconds, cpuSeconds) => ({ at: seconds * 1e6, cpuMicros: cpuSeconds * 1e6 });
  assert.equal(cpuPercent(at(10, 4), at(11, 4.5)), 50);
  assert.equal(cpuPercent(at(10, 4), at(12, 8)), 200, 'two cores busy');
  assert.equal(cpuPercent(at(10, 4), at(11, 3)), 0, 'less than before (it restarted): 0, never negative');
  assert.equal(cpuPercent(undefined, at(11, 3)), undefined, 'one sample is not enough');
});

test("sizes as docker prints them: memory in binary units (4 digits), I/O in decimal ones (3 digits)", () => {
  assert.deepEqual([0, 1023, 1024, 12.5 * 2 ** 20, 25_276_514_304, 2 ** 40].map(bytesSize), ['0B', '1023B', '1KiB', '12.5MiB', '23.54GiB', '1TiB']);
  assert.deepEqual([0, 999, 81_920, 1_234_567, 314_774_000].map((n) => decimalSize(n, 3)), ['0B', '999B', '81.9kB', '1.23MB', '315MB']);
  // Go's %.3g needs an exponent for a number that rounds up to 1000: so does docker.
  assert.equal(decimalSize(999.9, 3), '1e+03B');
});

test('a row: running, not running (zeros, as docker), removed or not kept by its cgroup ("--")', () => {
  const id = 'ab'.repeat(32);
  const sample = { at: 0, cpuMicros: 0, memory: { used: 12.5 * 2 ** 20, limit: 2 ** 30 }, blockIO: { read: 1_234_567, written: 0 }, pids: 2 };
  assert.deepEqual(row({ container: 'web', id, name: 'web', state: 'running', sample, cpu: 99.567 }, true), {
    BlockIO: '1.23MB / 0B', CPUPerc: '99.57%', Container: 'web', ID: 'abababababab', MemPerc: '1.22%', MemUsage: '12.5MiB / 1GiB', Name: 'web', NetIO: '--', PIDs: '2',
  });
  assert.equal(row({ container: 'web', id, name: 'web', state: 'running', sample }, false).CPUPerc, '--', 'sampled once: no CPU % yet');
  assert.equal(row({ container: 'web', id, name: 'web', state: 'running', sample }, false).ID, id);
  assert.deepEqual(row({ container: 'db', id, name: 'db', state: 'stopped' }, true), {
    BlockIO: '0B / 0B', CPUPerc: '0.00%', Container: 'db', ID: 'abababababab', MemPerc: '0.00%', MemUsage: '0B / 0B', Name: 'db', NetIO: '--', PIDs: '0',
  });
  const removed = row({ container: 'db', id, name: 'db', state: 'removed' }, true);
  assert.deepEqual([removed.CPUPerc, removed.MemUsage, removed.MemPerc, removed.BlockIO, removed.PIDs], ['--', '-- / --', '--', '--', '--']);
  const cpuOnly = row({ container: 'x', id, name: 'x', state: 'running', sample: { at: 0, cpuMicros: 0 }, cpu: 5 }, true);
  assert.deepEqual([cpuOnly.CPUPerc, cpuOnly.MemUsage, cpuOnly.BlockIO, cpuOnly.PIDs], ['5.00%', '-- / --', '--', '--']);
});
