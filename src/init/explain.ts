// run --explain, the init's side (chapter 12). Each step of the pipeline is
// told as it starts — or as skipped, when it does not apply to this
// container — and under it each system call it made, caught where
// src/syscalls/ calls libc (src/syscalls/trace.ts). It all goes to the
// supervisor on the sync pipe, in order with "exec"; the supervisor hands it
// to the CLI, which prints it on its own stderr: never into the container's
// output, never into its log.
//
// main.ts loads this module only when "go" asks for it, and before
// pivot_root, like every module the init needs.
import type { Narration } from '../runtime/protocol.js';
import { libc } from '../syscalls/libc.js';
import { seccomp } from '../syscalls/libseccomp.js';
import { formatCall, traceBindings, type TracedCall } from '../syscalls/trace.js';
import { tellParent } from './channel.js';
import type { InitStep } from './pipeline.js';

export interface Explainer {
  /** STEP is next: it runs when it APPLIES, else it is skipped. */
  step(step: InitStep, applies: boolean): void;
  /** Tell the calls still held back (a run being folded): before an error is reported. */
  flush(): void;
}

/** Start telling: from now on every call through src/syscalls/ is traced. */
export function explainInit(): Explainer {
  const tell = (told: Narration) => tellParent({ type: 'explain', told });
  const calls = new CallFolder((line, last) => tell(last ? { call: line, last } : { call: line }));
  const add = (call: TracedCall) => calls.add(call);
  traceBindings(libc, add);
  // Of libseccomp only the call that reaches the kernel: building the filter is the library's work, in our memory.
  traceBindings(seccomp, add, { load: 'seccomp_load' });
  return {
    step(step, applies) {
      calls.flush();
      tell({ step: step.name, chapter: step.chapter, summary: step.summary, ...(applies ? {} : { skipped: true }) });
    },
    flush: () => calls.flush(),
  };
}

/**
 * Three or more calls in a row that differ in one argument only, with the
 * same result, are told as one line, that argument's values in braces:
 *   prctl(PR_CAPBSET_DROP, {CAP_DAC_READ_SEARCH, CAP_LINUX_IMMUTABLE, …}) = 0   (27 calls)
 * so that resetting 60 signals reads as a few lines, not 60. A call told
 * before it runs (execve, which does not return when it works) ends every
 * run and is LAST: the init has nothing more to say.
 */
export class CallFolder {
  private run?: { calls: TracedCall[]; varying?: number };

  constructor(private readonly emit: (line: string, last: boolean) => void) {}

  add(call: TracedCall): void {
    if (call.result === undefined) {
      this.flush();
      this.emit(formatCall(call), true);
      return;
    }
    if (this.run && this.extend(this.run, call)) return;
    this.flush();
    this.run = { calls: [call] };
  }

  flush(): void {
    const run = this.run;
    this.run = undefined;
    if (!run) return;
    // Two are clearer as they are (an open that failed, then the one that worked).
    if (run.varying === undefined || run.calls.length < 3) {
      for (const call of run.calls) this.emit(formatCall(call), false);
      return;
    }
    const values = run.calls.map((call) => call.args[run.varying!]);
    const args = run.calls[0].args.map((arg, i) => (i === run.varying ? `{${ranges(values).join(', ')}}` : arg));
    this.emit(`${formatCall({ ...run.calls[0], args })}   (${run.calls.length} calls)`, false);
  }

  /** Whether CALL continues RUN: same call, same result, and only the argument that varies there differs. */
  private extend(run: NonNullable<CallFolder['run']>, call: TracedCall): boolean {
    const first = run.calls[0];
    if (call.name !== first.name || call.result !== first.result || call.args.length !== first.args.length) return false;
    const differ = call.args.flatMap((arg, i) => (arg === first.args[i] ? [] : [i]));
    if (differ.length !== 1 || (run.varying !== undefined && differ[0] !== run.varying)) return false;
    run.varying = differ[0];
    run.calls.push(call);
    return true;
  }
}

/** Three or more consecutive numbers as "34…64"; everything else as it is. */
function ranges(values: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) {
    let j = i;
    while (/^\d+$/.test(values[i]) && j + 1 < values.length && Number(values[j + 1]) === Number(values[j]) + 1) j++;
    if (j - i >= 2) out.push(`${values[i]}…${values[j]}`);
    else out.push(...values.slice(i, j + 1));
    i = j;
  }
  return out;
}
