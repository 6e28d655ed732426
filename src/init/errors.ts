import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';

/** A setup failure the init reports to the parent, with the exit status to use. */
export class InitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_RUNTIME_FAILED,
  ) {
    super(message);
    this.name = 'InitError';
  }
}
