// /proc/PID/stat, one line of space-separated fields (proc(5)). Read by the
// liveness checks (records.ts), stats (procfs.ts) and session lookups
// (pid-namespace.ts): one parser, because the line has one trap.

/**
 * The fields of a /proc/PID/stat line, numbered as proc(5) numbers them
 * (1 is the pid, 3 the state, 22 the start time). The command's name, field
 * 2, is in parentheses and may hold spaces and ")" itself: the fields from 3
 * on are read after its LAST ")".
 */
export function statFields(stat: string): (n: number) => string {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (n) => rest[n - 3];
}
