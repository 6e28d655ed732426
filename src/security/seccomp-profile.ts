// docker's seccomp profile format, what `--security-opt seccomp=PROFILE.json`
// reads, and the step from a profile to the filter one container gets.
//
// Exported API:
//   readSeccompProfile(path): SeccompProfile
//       read and check a JSON profile; every problem is a one-line Error
//       naming the file and what is wrong.
//   parseSeccompProfile(text, source): SeccompProfile
//       the same for a profile already in memory (SOURCE names it in errors).
//   planSeccomp(profile, { capabilities, arch?, kernel? }): SeccompPlan
//       pure: keep the rules that apply to this container (its capabilities,
//       the host's architecture, the kernel) and return what to compile.
//       The plan is compiled and loaded by installSeccompFilter in
//       src/syscalls/libseccomp.ts, where SeccompPlan is defined.
//   defaultSeccompProfile (src/security/default-seccomp.ts): docker's default.
//
// Why a profile depends on capabilities: docker's default profile allows
// mount, unshare or setns only to a container that was given CAP_SYS_ADMIN
// (--cap-add SYS_ADMIN). The capability alone would not be enough — seccomp
// would still refuse the call — so the profile follows the capabilities, and
// one flag opens both doors.
import { readFileSync } from 'node:fs';
import type { SeccompAction, SeccompCondition, SeccompFlag, SeccompOp, SeccompPlan, SeccompRule } from '../syscalls/libseccomp.js';

/** When a profile entry applies: ALL of these for "includes", ANY of them for "excludes". */
export interface SeccompSelector {
  /** Capability names, e.g. CAP_SYS_ADMIN. */
  caps?: string[];
  /** Go's names for architectures: amd64, x86, x32, arm, arm64, ppc64le, s390, s390x, riscv64… */
  arches?: string[];
  /** "4.8": the kernel is at least this version. */
  minKernel?: string;
}

/** A test of one argument, as docker writes it. For MASKED_EQ, value is the mask and valueTwo the expected result. */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOp;
}

/** One entry of "syscalls": these names get this action (when the arguments match). */
export interface SeccompSyscalls {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
  includes?: SeccompSelector;
  excludes?: SeccompSelector;
  comment?: string;
}

/** A native architecture and the ones its kernel also runs (x86-64 runs 32-bit x86 and x32 programs). */
export interface SeccompArchMap {
  architecture: string;
  subArchitectures: string[];
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** libseccomp architectures in docker's spelling: SCMP_ARCH_X86_64… */
  architectures?: string[];
  archMap?: SeccompArchMap[];
  syscalls: SeccompSyscalls[];
  flags?: string[];
}

const ACTIONS: readonly SeccompAction[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_ALLOW',
];
const OPS: readonly SeccompOp[] = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
];
const ARCHITECTURES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
];
/**
 * SECCOMP_FILTER_FLAG_TSYNC is accepted and has nothing to do: it would put
 * the filter on every thread, and execve ends the other threads anyway.
 */
const FLAGS = ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'];

/**
 * Notifications hand a blocked call to an agent process listening on a
 * socket (listenerPath); cellblock has no such agent, so a profile that
 * needs one is refused rather than half applied.
 */
const UNSUPPORTED = new Set(['SCMP_ACT_NOTIFY', 'SECCOMP_FILTER_FLAG_NEW_LISTENER', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);

type Json = Record<string, unknown>;

/** Checks one profile and says where the problem is: "syscalls[3].args[0].index must be 0–5, not 7". */
class ProfileChecker {
  constructor(private readonly source: string) {}

  fail(problem: string): never {
    throw new Error(`seccomp profile ${this.source}: ${problem}`);
  }

  object(value: unknown, where: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${where} must be a JSON object`);
    return value as Json;
  }

  array(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) this.fail(`${where} must be a list`);
    return value;
  }

  strings(value: unknown, where: string): string[] {
    return this.array(value, where).map((item, i) => this.string(item, `${where}[${i}]`));
  }

  string(value: unknown, where: string): string {
    if (typeof value !== 'string' || value === '') this.fail(`${where} must be a non-empty string`);
    return value;
  }

  /**
   * A non-negative integer up to MAX. JSON numbers are doubles: above 2^53
   * they are no longer exact, and a 64-bit mask read wrong would be a
   * filter that silently tests something else — so such values are refused.
   */
  integer(value: unknown, where: string, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) this.fail(`${where} must be a non-negative integer, not ${JSON.stringify(value)}`);
    if (value > max) this.fail(`${where} must be at most ${max}, not ${value}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string, what: string): T {
    const name = this.string(value, where);
    if (UNSUPPORTED.has(name)) this.fail(`${where}: ${name} is not supported (cellblock has no seccomp notification agent)`);
    if (!allowed.includes(name as T)) this.fail(`${where}: unknown ${what} "${name}" (one of ${allowed.join(', ')})`);
    return name as T;
  }

  /** An errno (or a tracer's value): 16 bits, the low half of the kernel's return value. */
  errno(value: unknown, where: string): number {
    return this.integer(value, where, 0xffff);
  }

  action(value: unknown, where: string): SeccompAction {
    return this.oneOf(value, ACTIONS, where, 'action');
  }

  profile(json: unknown): SeccompProfile {
    const top = this.object(json, 'the profile');
    for (const key of ['listenerPath', 'listenerMetadata']) {
      if (top[key]) this.fail(`${key}: seccomp notifications are not supported (cellblock has no seccomp notification agent)`);
    }
    if (top.defaultAction === undefined) this.fail('defaultAction is missing');
    const profile: SeccompProfile = {
      defaultAction: this.action(top.defaultAction, 'defaultAction'),
      syscalls: top.syscalls === undefined || top.syscalls === null
        ? []
        : this.array(top.syscalls, 'syscalls').map((entry, i) => this.syscalls(entry, `syscalls[${i}]`)),
    };
    if (top.defaultErrnoRet !== undefined) profile.defaultErrnoRet = this.errno(top.defaultErrnoRet, 'defaultErrnoRet');
    if (top.architectures !== undefined) {
      profile.architectures = this.strings(top.architectures, 'architectures')
        .map((name, i) => this.oneOf(name, ARCHITECTURES, `architectures[${i}]`, 'architecture'));
    }
    if (top.archMap !== undefined) profile.archMap = this.array(top.archMap, 'archMap').map((entry, i) => this.archMap(entry, `archMap[${i}]`));
    // docker's rule: the two ways of naming architectures do not mix.
    if (profile.architectures?.length && profile.archMap?.length) this.fail("use either 'architectures' or 'archMap', not both");
    if (top.flags !== undefined) {
      profile.flags = this.strings(top.flags, 'flags').map((flag, i) => this.oneOf(flag, FLAGS, `flags[${i}]`, 'flag'));
    }
    return profile;
  }

  archMap(value: unknown, where: string): SeccompArchMap {
    const entry = this.object(value, where);
    return {
      architecture: this.oneOf(entry.architecture, ARCHITECTURES, `${where}.architecture`, 'architecture'),
      subArchitectures: this.strings(entry.subArchitectures ?? [], `${where}.subArchitectures`)
        .map((name, i) => this.oneOf(name, ARCHITECTURES, `${where}.subArchitectures[${i}]`, 'architecture')),
    };
  }

  syscalls(value: unknown, where: string): SeccompSyscalls {
    const entry = this.object(value, where);
    // "name" is the old form of one entry per syscall; docker still reads it.
    if (entry.name !== undefined && entry.names !== undefined) this.fail(`${where}: use either 'name' or 'names', not both`);
    const names = entry.name !== undefined ? [this.string(entry.name, `${where}.name`)] : this.strings(entry.names ?? [], `${where}.names`);
    if (names.length === 0) this.fail(`${where} names no syscall (give "names": [...])`);
    if (entry.action === undefined) this.fail(`${where}.action is missing`);
    const syscalls: SeccompSyscalls = { names, action: this.action(entry.action, `${where}.action`) };
    if (entry.errnoRet !== undefined && entry.errnoRet !== null) {
      if (syscalls.action !== 'SCMP_ACT_ERRNO' && syscalls.action !== 'SCMP_ACT_TRACE') {
        this.fail(`${where}.errnoRet only goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${syscalls.action}`);
      }
      syscalls.errnoRet = this.errno(entry.errnoRet, `${where}.errnoRet`);
    }
    if (entry.args !== undefined && entry.args !== null) {
      syscalls.args = this.array(entry.args, `${where}.args`).map((arg, i) => this.arg(arg, `${where}.args[${i}]`));
    }
    for (const key of ['includes', 'excludes'] as const) {
      if (entry[key] !== undefined && entry[key] !== null) syscalls[key] = this.selector(entry[key], `${where}.${key}`);
    }
    if (typeof entry.comment === 'string') syscalls.comment = entry.comment;
    return syscalls;
  }

  arg(value: unknown, where: string): SeccompArg {
    const arg = this.object(value, where);
    // A system call has at most six arguments (the registers the kernel reads).
    const index = this.integer(arg.index, `${where}.index`);
    if (index > 5) this.fail(`${where}.index must be 0–5, not ${index}`);
    if (arg.op === undefined) this.fail(`${where}.op is missing`);
    return {
      index,
      value: this.integer(arg.value ?? 0, `${where}.value`),
      valueTwo: this.integer(arg.valueTwo ?? 0, `${where}.valueTwo`),
      op: this.oneOf(arg.op, OPS, `${where}.op`, 'op'),
    };
  }

  selector(value: unknown, where: string): SeccompSelector {
    const json = this.object(value, where);
    const selector: SeccompSelector = {};
    if (json.caps !== undefined && json.caps !== null) selector.caps = this.strings(json.caps, `${where}.caps`);
    if (json.arches !== undefined && json.arches !== null) selector.arches = this.strings(json.arches, `${where}.arches`);
    if (json.minKernel !== undefined && json.minKernel !== null) {
      const minKernel = this.string(json.minKernel, `${where}.minKernel`);
      if (!kernelVersion(minKernel)) this.fail(`${where}.minKernel must look like "4.8", not "${minKernel}"`);
      selector.minKernel = minKernel;
    }
    return selector;
  }
}

/** Check a profile given as text; SOURCE (a path, "default") names it in errors. */
export function parseSeccompProfile(text: string, source: string): SeccompProfile {
  const checker = new ProfileChecker(source);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    checker.fail(`not valid JSON (${(error as Error).message})`);
  }
  return checker.profile(json);
}

/** Read and check the profile at PATH (`--security-opt seccomp=PATH`). */
export function readSeccompProfile(path: string): SeccompProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`seccomp profile ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseSeccompProfile(text, path);
}

// ---------------------------------------------------------------------------
// From a profile to a plan

export interface SeccompPlanOptions {
  /** The container's capabilities (bounding set), e.g. ['CAP_CHOWN', …]. */
  capabilities: readonly string[];
  /** The host's architecture as Node names it; process.arch when absent. */
  arch?: NodeJS.Architecture;
  /** os.release() of the host, e.g. "6.1.0-18-amd64"; absent: every minKernel counts as met. */
  kernel?: string;
}

/** How docker (Go) and libseccomp name each architecture Node runs on. */
const NODE_ARCHES: Partial<Record<NodeJS.Architecture, { go: string; seccomp: string }>> = {
  x64: { go: 'amd64', seccomp: 'SCMP_ARCH_X86_64' },
  arm64: { go: 'arm64', seccomp: 'SCMP_ARCH_AARCH64' },
  ia32: { go: 'x86', seccomp: 'SCMP_ARCH_X86' },
  arm: { go: 'arm', seccomp: 'SCMP_ARCH_ARM' },
  ppc64: { go: 'ppc64le', seccomp: 'SCMP_ARCH_PPC64LE' },
  s390x: { go: 's390x', seccomp: 'SCMP_ARCH_S390X' },
  riscv64: { go: 'riscv64', seccomp: 'SCMP_ARCH_RISCV64' },
};

/** [major, minor] of "6.1.0-18-amd64" or "4.8"; undefined if it does not start that way. */
function kernelVersion(release: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(release);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function kernelAtLeast(kernel: string | undefined, minimum: string): boolean {
  const have = kernel === undefined ? undefined : kernelVersion(kernel);
  const need = kernelVersion(minimum);
  if (!have || !need) return true;
  return have[0] !== need[0] ? have[0] > need[0] : have[1] >= need[1];
}

interface Host {
  capabilities: ReadonlySet<string>;
  goArch: string;
  kernel?: string;
}

/** docker's includes: every condition given must hold. */
function includesMatch(selector: SeccompSelector | undefined, host: Host): boolean {
  if (!selector) return true;
  if (selector.arches?.length && !selector.arches.includes(host.goArch)) return false;
  if (selector.caps?.some((cap) => !host.capabilities.has(cap))) return false;
  if (selector.minKernel && !kernelAtLeast(host.kernel, selector.minKernel)) return false;
  return true;
}

/** docker's excludes: any condition that holds rules the entry out. */
function excludesMatch(selector: SeccompSelector | undefined, host: Host): boolean {
  if (!selector) return false;
  if (selector.arches?.includes(host.goArch)) return true;
  if (selector.caps?.some((cap) => host.capabilities.has(cap))) return true;
  if (selector.minKernel && kernelAtLeast(host.kernel, selector.minKernel)) return true;
  return false;
}

/** The errno an action carries: docker's errnoRet, or EPERM as runc defaults it; none for the other actions. */
function errnoOf(action: SeccompAction, errnoRet: number | undefined): number | undefined {
  return action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE' ? errnoRet ?? 1 : undefined;
}

/**
 * The architectures the filter covers, in libseccomp's names ("x86_64").
 * Why more than the native one: an x86-64 kernel also runs 32-bit programs,
 * whose system calls have other numbers. A filter that did not list x86
 * would let such a program through on the "bad architecture" action alone.
 */
function planArchitectures(profile: SeccompProfile, nativeSeccomp: string | undefined): string[] {
  const names = [...(profile.architectures ?? [])];
  for (const entry of profile.archMap ?? []) {
    if (entry.architecture === nativeSeccomp) names.push(entry.architecture, ...entry.subArchitectures);
  }
  return [...new Set(names)].map((name) => name.replace(/^SCMP_ARCH_/, '').toLowerCase());
}

function condition(arg: SeccompArg): SeccompCondition {
  return { index: arg.index, op: arg.op, value: BigInt(arg.value), valueTwo: BigInt(arg.valueTwo ?? 0) };
}

/**
 * The rules one entry gives one syscall, following runc: the conditions of
 * one rule must all hold (AND), and one argument can be tested only once per
 * rule. So when no two conditions test the same argument they make one rule;
 * when some argument is tested twice ("personality is 0, or 8, or …") each
 * condition becomes a rule of its own, and any of them matching is enough (OR).
 */
function rulesFor(syscall: string, entry: SeccompSyscalls, errno: number | undefined): SeccompRule[] {
  const conditions = (entry.args ?? []).map(condition);
  const indexes = new Set(conditions.map((c) => c.index));
  const groups = indexes.size === conditions.length ? [conditions] : conditions.map((c) => [c]);
  return groups.map((group) => ({ syscall, action: entry.action, ...(errno === undefined ? {} : { errno }), conditions: group }));
}

/**
 * The filter PROFILE gives a container with these capabilities on this
 * host: the entries whose includes/excludes match, one rule per syscall
 * name (or per condition, see rulesFor), and no rule that only repeats the
 * default action — the kernel would do the same without it.
 */
export function planSeccomp(profile: SeccompProfile, options: SeccompPlanOptions): SeccompPlan {
  const native = NODE_ARCHES[options.arch ?? process.arch];
  const host: Host = { capabilities: new Set(options.capabilities), goArch: native?.go ?? options.arch ?? process.arch, kernel: options.kernel };
  const defaultErrno = errnoOf(profile.defaultAction, profile.defaultErrnoRet);
  const rules: SeccompRule[] = [];
  for (const entry of profile.syscalls) {
    if (excludesMatch(entry.excludes, host) || !includesMatch(entry.includes, host)) continue;
    const errno = errnoOf(entry.action, entry.errnoRet);
    if (entry.action === profile.defaultAction && errno === defaultErrno) continue;
    for (const name of entry.names) rules.push(...rulesFor(name, entry, errno));
  }
  const flags = (profile.flags ?? []).filter((flag): flag is SeccompFlag => flag !== 'SECCOMP_FILTER_FLAG_TSYNC');
  return {
    defaultAction: profile.defaultAction,
    ...(defaultErrno === undefined ? {} : { defaultErrno }),
    architectures: planArchitectures(profile, native?.seccomp),
    rules,
    flags,
  };
}
