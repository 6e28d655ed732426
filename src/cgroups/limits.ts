// Chapter 6 — docker's resource flags, and the cgroup v2 files they become.
//
// docker's flags date from cgroup v1, so some need translating: v1's
// cpu.shares (2–262144, default 1024) is v2's cpu.weight (1–10000, default
// 100); v1 counted memory+swap together, v2 limits swap on its own. Every
// limit is just a line written into a file of the container's cgroup:
//
//   --memory 32m           echo 33554432      > memory.max
//   --memory-swap 64m      echo 33554432      > memory.swap.max   (64m − 32m)
//   --memory-reservation   echo BYTES         > memory.low
//   --cpus 0.5             echo "50000 100000" > cpu.max           (50 ms of every 100 ms)
//   --cpu-shares 512       echo 50            > cpu.weight
//   --cpuset-cpus 0-1      echo 0-1           > cpuset.cpus
//   --pids-limit 20        echo 20            > pids.max
//   --blkio-weight 500     echo 500           > io.bfq.weight     (or io.weight, rescaled)
//   --device-read-bps /dev/sda:1mb   echo "8:0 rbps=1048576" > io.max
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { DeviceRate, ResourceLimits } from '../runtime/spec.js';
import type { Controller } from './detect.js';

/** The flags as the command line gives them (commander's camelCase names). */
export interface LimitFlags {
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpus?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  pidsLimit?: string;
  blkioWeight?: string;
  deviceReadBps?: string[];
  deviceWriteBps?: string[];
}

/** docker refuses less: a container's runtime alone needs a few MB. */
const MIN_MEMORY = 6 * 1024 * 1024;
/** cpu.max's period: the kernel's default, and what docker uses for --cpus. */
export const CPU_PERIOD_US = 100_000;

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker's sizes: 1024-based, "32m", "1.5g", "512k", "100" (bytes); a trailing b is allowed (32mb). */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(text.trim());
  if (!match) throw new Error(`invalid ${flag} ${JSON.stringify(text)}: expected a size like 512k, 32m or 1g`);
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()]);
  // Past 2^53 a double cannot count bytes exactly (99999999999999999999999p, say): no kernel file takes such a number.
  if (!Number.isSafeInteger(bytes)) throw new Error(`invalid ${flag} ${JSON.stringify(text)}: too large (at most 2^53 bytes)`);
  return bytes;
}

/** A size the way the flags take it, for messages: 33554432 → "32m" (exact units only, else bytes). */
export function formatSize(bytes: number): string {
  for (const unit of ['p', 't', 'g', 'm', 'k']) {
    if (bytes >= SIZE_UNITS[unit] && bytes % SIZE_UNITS[unit] === 0) return `${bytes / SIZE_UNITS[unit]}${unit}`;
  }
  return String(bytes);
}

function parseWhole(text: string, flag: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new Error(`invalid ${flag} ${JSON.stringify(text)}: expected a whole number`);
  return Number(text);
}

/** Check every limit flag and turn it into docker's HostConfig values; throws a one-line Error. */
export function parseLimits(flags: LimitFlags): ResourceLimits {
  const limits: ResourceLimits = {};
  if (flags.memory !== undefined) {
    limits.memory = parseSize(flags.memory, '--memory');
    if (limits.memory < MIN_MEMORY) throw new Error(`invalid --memory ${flags.memory}: the minimum is 6MB`);
  }
  if (flags.memorySwap !== undefined) {
    if (limits.memory === undefined) throw new Error('--memory-swap needs --memory too (it limits memory plus swap)');
    limits.memorySwap = flags.memorySwap.trim() === '-1' ? -1 : parseSize(flags.memorySwap, '--memory-swap');
    if (limits.memorySwap !== -1 && limits.memorySwap < limits.memory) {
      throw new Error(`invalid --memory-swap ${flags.memorySwap}: it counts memory plus swap, so it cannot be less than --memory ${flags.memory}`);
    }
  }
  if (flags.memoryReservation !== undefined) {
    limits.memoryReservation = parseSize(flags.memoryReservation, '--memory-reservation');
    if (limits.memory !== undefined && limits.memoryReservation > limits.memory) {
      throw new Error(`invalid --memory-reservation ${flags.memoryReservation}: it must be less than --memory ${flags.memory}`);
    }
  }
  if (flags.cpus !== undefined) {
    const cpus = /^\d*\.?\d+$/.test(flags.cpus.trim()) ? Number(flags.cpus) : NaN;
    const available = availableParallelism();
    if (!(cpus >= 0.01 && cpus <= available)) {
      throw new Error(`invalid --cpus ${JSON.stringify(flags.cpus)}: the range is 0.01 to ${available} (the CPUs this machine has)`);
    }
    limits.nanoCpus = Math.round(cpus * 1e9);
  }
  if (flags.cpuShares !== undefined) {
    const shares = parseWhole(flags.cpuShares, '--cpu-shares');
    if (shares < 0 || shares > 262144) throw new Error(`invalid --cpu-shares ${flags.cpuShares}: the range is 2 to 262144 (0 for the default)`);
    if (shares > 0) limits.cpuShares = Math.max(shares, 2);
  }
  if (flags.cpusetCpus !== undefined) {
    if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(flags.cpusetCpus)) throw new Error(`invalid --cpuset-cpus ${JSON.stringify(flags.cpusetCpus)}: expected CPU numbers like 0-2,4`);
    limits.cpusetCpus = flags.cpusetCpus;
  }
  if (flags.pidsLimit !== undefined) {
    const pids = parseWhole(flags.pidsLimit, '--pids-limit');
    if (!Number.isSafeInteger(pids)) throw new Error(`invalid --pids-limit ${flags.pidsLimit}: too large`);
    if (pids > 0) limits.pidsLimit = pids; // 0 and -1 mean "no limit", as in docker
  }
  if (flags.blkioWeight !== undefined) {
    const weight = parseWhole(flags.blkioWeight, '--blkio-weight');
    if (weight !== 0 && (weight < 10 || weight > 1000)) throw new Error(`invalid --blkio-weight ${flags.blkioWeight}: the range is 10 to 1000 (0 for the default)`);
    if (weight > 0) limits.blkioWeight = weight;
  }
  if (flags.deviceReadBps?.length) limits.deviceReadBps = flags.deviceReadBps.map((v) => parseDeviceRate(v, '--device-read-bps'));
  if (flags.deviceWriteBps?.length) limits.deviceWriteBps = flags.deviceWriteBps.map((v) => parseDeviceRate(v, '--device-write-bps'));
  return limits;
}

/** DEVICE:RATE, e.g. /dev/sda:1mb. io.max names a device by its numbers, so it must be a block device here. */
function parseDeviceRate(value: string, flag: string): DeviceRate {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) throw new Error(`invalid ${flag} ${JSON.stringify(value)}: expected DEVICE:RATE, e.g. /dev/sda:1mb`);
  const path = value.slice(0, colon);
  const rate = parseSize(value.slice(colon + 1), flag);
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    throw new Error(`invalid ${flag} ${value}: ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  if (!stat.isBlockDevice()) throw new Error(`invalid ${flag} ${value}: ${path} is not a block device`);
  // st_rdev packs major and minor as glibc's gnu_dev_major/minor do.
  const rdev = BigInt(stat.rdev);
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { path, major, minor, rate };
}

/** Whether any limit was asked for (a container without one needs no cgroup controllers). */
export function hasLimits(limits: ResourceLimits | undefined): boolean {
  return limits !== undefined && Object.values(limits).some((v) => v !== undefined);
}

/** The controller each limit needs, with the flag that asked, for error messages. */
export function controllersNeeded(limits: ResourceLimits): { controller: Controller; flag: string }[] {
  const needs: { controller: Controller; flag: string }[] = [];
  const need = (set: unknown, controller: Controller, flag: string) => set !== undefined && needs.push({ controller, flag });
  need(limits.memory, 'memory', '--memory');
  need(limits.memoryReservation, 'memory', '--memory-reservation');
  need(limits.nanoCpus, 'cpu', '--cpus');
  need(limits.cpuShares, 'cpu', '--cpu-shares');
  need(limits.cpusetCpus, 'cpuset', '--cpuset-cpus');
  need(limits.pidsLimit, 'pids', '--pids-limit');
  need(limits.blkioWeight, 'io', '--blkio-weight');
  need(limits.deviceReadBps, 'io', '--device-read-bps');
  need(limits.deviceWriteBps, 'io', '--device-write-bps');
  return needs;
}

/**
 * cgroup v1's cpu.shares (2–262144, default 1024) as v2's cpu.weight
 * (1–10000, default 100). crun's current mapping, a parabola in log2 space
 * through the three points that matter — 2 → 1, 1024 → 100, 262144 → 10000 —
 * so a container with docker's default shares gets the kernel's default
 * weight (the older linear 1 + (shares − 2) × 9999 / 262142 gave it 39).
 */
export function cpuWeightFromShares(shares: number): number {
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  // (The 1e-9 keeps floating-point noise, 10^2.0000000000000004, from rounding 100 up to 101.)
  return Math.min(10000, Math.max(1, Math.ceil(10 ** exponent - 1e-9)));
}

/** v1's blkio.weight (10–1000) on io.weight's 1–10000 scale, as crun maps it. */
export function ioWeightFromBlkio(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * The files to write in the container's cgroup, in order. HAS says whether
 * an optional interface file exists (memory.swap.max needs swap accounting;
 * io.bfq.weight the BFQ scheduler).
 */
export function limitFiles(limits: ResourceLimits, has: (file: string) => boolean): [file: string, value: string][] {
  const files: [string, string][] = [];
  if (limits.memory !== undefined) {
    // #region exercise: memory.max: the limit in bytes, past which the kernel reclaims and then OOM-kills
    files.push(['memory.max', String(limits.memory)]);
    // #endregion
    // docker's default without --memory-swap: as much swap as memory (total 2 × memory).
    const total = limits.memorySwap ?? limits.memory * 2;
    // Asked for explicitly: a missing file is an error (written anyway, it fails and says so).
    if (limits.memorySwap !== undefined || has('memory.swap.max')) files.push(['memory.swap.max', total === -1 ? 'max' : String(total - limits.memory)]);
  }
  if (limits.memoryReservation !== undefined) files.push(['memory.low', String(limits.memoryReservation)]);
  // #region exercise: cpu.max: --cpus as "QUOTA PERIOD", microseconds of CPU time per period (at least 1000)
  if (limits.nanoCpus !== undefined) files.push(['cpu.max', `${Math.max(1000, Math.round((limits.nanoCpus / 1e9) * CPU_PERIOD_US))} ${CPU_PERIOD_US}`]);
  // #endregion
  if (limits.cpuShares !== undefined) files.push(['cpu.weight', String(cpuWeightFromShares(limits.cpuShares))]);
  if (limits.cpusetCpus !== undefined) files.push(['cpuset.cpus', limits.cpusetCpus]);
  if (limits.pidsLimit !== undefined) files.push(['pids.max', String(limits.pidsLimit)]);
  if (limits.blkioWeight !== undefined) {
    files.push(has('io.bfq.weight') ? ['io.bfq.weight', String(limits.blkioWeight)] : ['io.weight', String(ioWeightFromBlkio(limits.blkioWeight))]);
  }
  // One io.max line per device: "MAJ:MIN rbps=N wbps=N" (a key left out keeps its value).
  for (const [list, key] of [[limits.deviceReadBps, 'rbps'], [limits.deviceWriteBps, 'wbps']] as const) {
    for (const device of list ?? []) files.push(['io.max', `${device.major}:${device.minor} ${key}=${device.rate}`]);
  }
  return files;
}
