// Running a chapter's lab from `cellblock learn`: the same `node labs/NN-…/lab.mjs`
// a learner would type, its output streamed as it comes, its exit status the
// verdict (labs/lib.mjs exits 1 when any check failed, 0 when all passed).
import { spawn } from 'node:child_process';
import { labFile, PROJECT_ROOT, type Chapter } from './chapters.js';

export interface LabResult {
  passed: boolean;
  /** The lab's exit status, or the signal that ended it. */
  status: number | NodeJS.Signals;
  /** Everything it printed (stdout and stderr, in arrival order). */
  output: string;
}

export interface LabOptions {
  /** Each chunk of output, as it arrives. */
  onOutput?: (text: string) => void;
  /** Added to the lab's environment (exercise mode sets CELLBLOCK_EXERCISE here). */
  env?: NodeJS.ProcessEnv;
  /** Ends the lab early (SIGTERM: the lab's finish() still cleans up). */
  signal?: AbortSignal;
}

/** Run CHAPTER's lab to its end. */
export function runLab(chapter: Chapter, options: LabOptions = {}): Promise<LabResult> {
  if (!chapter.lab) return Promise.reject(new Error(`chapter ${chapter.number} has no lab`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [labFile(chapter)], {
      cwd: PROJECT_ROOT,
      // FORCE_COLOR=0: the output goes into a pane or a test's buffer, not a terminal.
      env: { ...process.env, FORCE_COLOR: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      killSignal: 'SIGTERM',
    });
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      options.onOutput?.(text);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', (error) => {
      if (error.name !== 'AbortError') reject(error);
    });
    child.once('close', (code, signal) => resolve({ passed: code === 0, status: code ?? signal!, output }));
  });
}
