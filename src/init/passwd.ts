// Reading /etc/passwd and /etc/group the way `docker run -u` does. Pure
// functions over file contents, so they are tested without any namespace.

export interface PasswdEntry { name: string; uid: number; gid: number; home: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return records(text, 7).map(([name, , uid, gid, , home]) => ({ name, uid: Number(uid), gid: Number(gid), home }));
}

export function parseGroup(text: string): GroupEntry[] {
  return records(text, 4).map(([name, , gid, members]) => ({
    name, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [],
  }));
}

function records(text: string, fields: number): string[][] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(':'))
    .filter((parts) => parts.length >= fields - 1 && /^\d+$/.test(parts[2] ?? ''));
}

export interface ResolvedUser { uid: number; gid: number; home: string; groups: number[] }

export const isNumericId = (text: string): boolean => /^\d+$/.test(text);

/**
 * Resolve `-u USER[:GROUP]` against the container's files, with docker's rules:
 * a number need not exist in /etc/passwd (it then gets gid 0 and HOME=/), a
 * name must; the supplementary groups are those listing the user by name.
 */
export function resolveUser(user: string, group: string | undefined, passwd: PasswdEntry[], groups: GroupEntry[]): ResolvedUser {
  const entry = isNumericId(user) ? passwd.find((p) => p.uid === Number(user)) : passwd.find((p) => p.name === user);
  if (!entry && !isNumericId(user)) throw new Error(`unable to find user ${user}: no matching entries in passwd file`);
  const uid = entry?.uid ?? Number(user);
  let gid = entry?.gid ?? 0;
  if (group !== undefined) {
    const found = isNumericId(group) ? { gid: Number(group) } : groups.find((g) => g.name === group);
    if (!found) throw new Error(`unable to find group ${group}: no matching entries in group file`);
    gid = found.gid;
  }
  const supplementary = entry ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
  return { uid, gid, home: entry?.home || '/', groups: [...new Set(supplementary)].filter((g) => g !== gid) };
}
