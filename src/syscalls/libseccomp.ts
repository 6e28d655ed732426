// Seccomp filters through libseccomp (Debian package libseccomp2), the same
// library runc and podman use.
//
// A seccomp filter is a small BPF program the kernel runs on every system
// call the process makes: it looks at the call's number, the architecture
// and the six arguments, and answers "allow", "fail with errno N", "kill"…
// Writing that BPF by hand means knowing every architecture's syscall
// numbers; libseccomp turns "allow socket when arg0 != 40" into the program.
//
// What a program must know about the kernel side:
// - A filter applies to the calling THREAD only. Node runs several threads
//   (libuv's pool, V8's helpers), so the thread that loads the filter must
//   be the one that will execve the container's program: koffi calls run on
//   the JavaScript thread, which is the one that execs. No TSYNC is needed
//   to reach the others: execve ends every other thread of the process.
// - Filters are inherited across fork and execve, stack up, and can never be
//   removed: load it last, just before execve, once the runtime's own work
//   (mounts, pivot_root…) that the filter may forbid is done.
// - Loading needs no_new_privs set OR CAP_SYS_ADMIN in the caller's user
//   namespace; otherwise EACCES. (Without that rule, a process could filter
//   a setuid program's calls and make it misbehave while privileged.)
// - libseccomp sets no_new_privs itself by default (attribute CTL_NNP).
//   runc turns that off unless --security-opt no-new-privileges was asked:
//   no_new_privs also stops setuid binaries (sudo, ping) from gaining
//   anything, which a container user did not ask for. We do the same. The
//   init is root of its user namespace, so it has CAP_SYS_ADMIN there.
//
// Like the rest of src/syscalls/, this file knows nothing of docker's JSON:
// it compiles a SeccompPlan (src/security/seccomp-profile.ts makes one).
// This module loads the library when it is imported, so the runtime imports
// it only when a container has a filter.
import koffi from 'koffi';
import { SyscallError } from './errors.js';

/** What a matching rule (or the default) does — libseccomp's SCMP_ACT_* names, as docker's JSON spells them. */
export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_TRACE' | 'SCMP_ACT_LOG' | 'SCMP_ACT_ALLOW';

/** How an argument is compared. MASKED_EQ: (arg & value) == valueTwo. */
export type SeccompOp =
  | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

/** One test of one argument (index 0–5). Values are 64-bit, hence bigint. */
export interface SeccompCondition {
  index: number;
  op: SeccompOp;
  value: bigint;
  valueTwo: bigint;
}

/** One call to seccomp_rule_add_array: its conditions must ALL hold. */
export interface SeccompRule {
  syscall: string;
  action: SeccompAction;
  /** The errno of SCMP_ACT_ERRNO, or the value a tracer sees for SCMP_ACT_TRACE; absent for the other actions. */
  errno?: number;
  conditions: SeccompCondition[];
}

/** Filter flags docker's JSON may ask for (its "flags" list). */
export type SeccompFlag = 'SECCOMP_FILTER_FLAG_LOG' | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW';

/** Everything needed to compile one filter: the output of planSeccomp. */
export interface SeccompPlan {
  defaultAction: SeccompAction;
  defaultErrno?: number;
  /** libseccomp's names ("x86_64", "x86", "x32", "aarch64", "arm"…); the native one is always in the filter. */
  architectures: string[];
  rules: SeccompRule[];
  flags: SeccompFlag[];
}

function loadLibrary() {
  try {
    return koffi.load('libseccomp.so.2');
  } catch {
    throw new Error('seccomp: cannot load libseccomp.so.2 — install the Debian package libseccomp2 (apt-get install libseccomp2)');
  }
}

const lib = loadLibrary();

// struct scmp_arg_cmp { unsigned int arg; enum scmp_compare op; scmp_datum_t datum_a, datum_b; }
koffi.struct('scmp_arg_cmp', { arg: 'uint32_t', op: 'int', datum_a: 'uint64_t', datum_b: 'uint64_t' });

// scmp_filter_ctx is an opaque pointer. Every int-returning call gives a
// negative errno on failure (not -1 and errno, as libc does). (Exported for
// run --explain, which traces `load`: src/syscalls/trace.ts.)
export const seccomp = {
  init: lib.func('void *seccomp_init(uint32_t def_action)'),
  release: lib.func('void seccomp_release(void *ctx)'),
  archAdd: lib.func('int seccomp_arch_add(void *ctx, uint32_t arch_token)'),
  archResolveName: lib.func('uint32_t seccomp_arch_resolve_name(const char *name)'),
  syscallResolveName: lib.func('int seccomp_syscall_resolve_name(const char *name)'),
  ruleAddArray: lib.func('int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const scmp_arg_cmp *arg_array)'),
  attrSet: lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)'),
  load: lib.func('int seccomp_load(void *ctx)'),
  exportBpf: lib.func('int seccomp_export_bpf(void *ctx, int fd)'),
};

/** Throw a SyscallError when a libseccomp call returned a negative errno. */
function checkNegative(result: number, call: string, arg: string): void {
  if (result < 0) throw new SyscallError(call, arg, -result);
}

// <seccomp.h>: the action values are the kernel's SECCOMP_RET_* (<linux/seccomp.h>).
const ACTIONS: Record<SeccompAction, number> = {
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL: 0x00000000, // the old name of KILL_THREAD
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
};

/** The kernel's return value for ACTION; ERRNO and TRACE carry a 16-bit number in the low half. */
function actionValue(action: SeccompAction, errno = 1): number {
  const value = ACTIONS[action];
  const carriesNumber = action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE';
  // >>> 0 keeps KILL_PROCESS (bit 31) a positive uint32 for koffi.
  return (carriesNumber ? value | (errno & 0xffff) : value) >>> 0;
}

const OPS: Record<SeccompOp, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};

// enum scmp_filter_attr
const ATTR_CTL_NNP = 3;
const ATTR_CTL_LOG = 6;
/** Leave speculative store bypass mitigation off, as SECCOMP_FILTER_FLAG_SPEC_ALLOW asks. */
const ATTR_CTL_SSB = 7;
/**
 * Report the kernel's own errno (EACCES, EINVAL) instead of folding every
 * system failure into ECANCELED, libseccomp's default since 2.5 — an error
 * a reader can look up in seccomp(2) is worth more.
 */
const ATTR_API_SYSRAWRC = 9;

const FLAG_ATTRIBUTES: Record<SeccompFlag, number> = {
  SECCOMP_FILTER_FLAG_LOG: ATTR_CTL_LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: ATTR_CTL_SSB,
};

/** libseccomp's return for a syscall name it does not know (__NR_SCMP_ERROR). */
const UNKNOWN_SYSCALL = -1;

/** A filter context being filled; always released, loaded or not. */
interface Filter {
  ctx: unknown;
  /** Syscall names no architecture of the filter knows, left out as runc does. */
  skipped: string[];
}

function setAttribute(ctx: unknown, attr: number, value: number, name: string): void {
  checkNegative(seccomp.attrSet(ctx, attr, value), 'seccomp_attr_set', name);
}

function addArchitecture(ctx: unknown, name: string): void {
  const token = seccomp.archResolveName(name);
  if (token === 0) throw new Error(`seccomp: libseccomp does not know the architecture "${name}"`);
  const result = seccomp.archAdd(ctx, token);
  // The native architecture is in every new filter already.
  if (result === -koffi.os.errno.EEXIST) return;
  checkNegative(result, 'seccomp_arch_add', name);
}

/**
 * Add one rule. The name is resolved for the native architecture; a name
 * that exists only on another one of the filter's architectures (socketcall
 * on x86) resolves to a negative "pseudo syscall" number that libseccomp
 * translates for each architecture where it does exist.
 */
function addRule(filter: Filter, rule: SeccompRule): void {
  const number = seccomp.syscallResolveName(rule.syscall);
  if (number === UNKNOWN_SYSCALL) {
    filter.skipped.push(rule.syscall);
    return;
  }
  const conditions = rule.conditions.map((condition) => ({
    arg: condition.index,
    op: OPS[condition.op],
    // docker's MASKED_EQ "value" is the mask and "valueTwo" the expected
    // result; libseccomp wants them in the same order (datum_a = mask).
    datum_a: condition.value,
    datum_b: condition.valueTwo,
  }));
  checkNegative(
    seccomp.ruleAddArray(filter.ctx, actionValue(rule.action, rule.errno), number, conditions.length, conditions.length ? conditions : null),
    'seccomp_rule_add_array', rule.syscall,
  );
}

function buildFilter(plan: SeccompPlan, noNewPrivileges: boolean): Filter {
  const ctx = seccomp.init(actionValue(plan.defaultAction, plan.defaultErrno));
  if (!ctx) throw new Error(`seccomp: seccomp_init refused the default action ${plan.defaultAction}`);
  const filter: Filter = { ctx, skipped: [] };
  try {
    setAttribute(ctx, ATTR_API_SYSRAWRC, 1, 'SCMP_FLTATR_API_SYSRAWRC');
    setAttribute(ctx, ATTR_CTL_NNP, noNewPrivileges ? 1 : 0, 'SCMP_FLTATR_CTL_NNP');
    for (const flag of plan.flags) setAttribute(ctx, FLAG_ATTRIBUTES[flag], 1, flag);
    for (const architecture of plan.architectures) addArchitecture(ctx, architecture);
    for (const rule of plan.rules) addRule(filter, rule);
    return filter;
  } catch (error) {
    seccomp.release(ctx);
    throw error;
  }
}

function describe(plan: SeccompPlan): string {
  return `${plan.rules.length} rules, default ${plan.defaultAction}`;
}

/** A filter compiled by libseccomp and not loaded yet (it lives in libseccomp's memory until loadSeccompFilter). */
export interface CompiledSeccompFilter {
  ctx: unknown;
  /** Syscall names left out because libseccomp knows none of them. */
  skipped: string[];
  description: string;
}

/**
 * Compile PLAN without loading it. The container's init compiles while the
 * host's files are still reachable and loads after pivot_root and
 * switch-user, as the last step before execve. Set noNewPrivileges for
 * `--security-opt no-new-privileges`, or when the caller will lack
 * CAP_SYS_ADMIN in its user namespace (then the kernel requires it).
 */
export function compileSeccompFilter(plan: SeccompPlan, options: { noNewPrivileges: boolean }): CompiledSeccompFilter {
  const filter = buildFilter(plan, options.noNewPrivileges);
  return { ...filter, description: describe(plan) };
}

/** Load FILTER into the calling thread: from here on, this thread and everything it execs or forks obey it. */
export function loadSeccompFilter(filter: CompiledSeccompFilter): void {
  try {
    checkNegative(seccomp.load(filter.ctx), 'seccomp_load', filter.description);
  } finally {
    seccomp.release(filter.ctx);
  }
}

/** Compile and load PLAN at once; returns the syscall names that were left out. */
export function installSeccompFilter(plan: SeccompPlan, options: { noNewPrivileges: boolean }): string[] {
  const filter = compileSeccompFilter(plan, options);
  loadSeccompFilter(filter);
  return filter.skipped;
}

/**
 * Write the BPF program PLAN compiles to into FD (raw struct sock_filter
 * entries, 8 bytes each), without loading it. Shell: `seccomp-tools disasm`
 * reads this format. Returns the names that were left out, as above.
 */
export function exportBpf(plan: SeccompPlan, fd: number): string[] {
  const filter = buildFilter(plan, false);
  try {
    checkNegative(seccomp.exportBpf(filter.ctx, fd), 'seccomp_export_bpf', describe(plan));
    return filter.skipped;
  } finally {
    seccomp.release(filter.ctx);
  }
}
