import { errnoName, lastErrno } from './libc.js';

/**
 * A failed system call: `mount(/proc): EPERM`. The call's name, its main
 * argument and the errno name are what a reader needs to look it up in the
 * man page (ERRORS section), so that is exactly what the message holds.
 */
export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly arg: string,
    readonly errno: number,
  ) {
    super(`${call}(${arg}): ${errnoName(errno)}`);
    this.name = 'SyscallError';
  }

  get code(): string {
    return errnoName(this.errno);
  }
}

/** Throw a SyscallError when a libc call returned -1. */
export function check(result: number | bigint, call: string, arg: string): void {
  if (Number(result) === -1) throw new SyscallError(call, arg, lastErrno());
}
