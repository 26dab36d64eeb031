import type { Visibility } from './payloads';

export interface Audience {
  readonly signedIn: boolean;
  readonly roles: readonly string[];
}

const STAFF_ROLES: ReadonlySet<string> = new Set(['admin', 'moderator']);

export function isStaff(roles: readonly string[]): boolean {
  return roles.some((role) => STAFF_ROLES.has(role));
}

/** The visibility classes whose events this audience may receive. */
export function visibleClasses(audience: Audience): Visibility[] {
  if (!audience.signedIn) return ['PUBLIC'];
  if (isStaff(audience.roles)) return ['PUBLIC', 'MEMBERS', 'STAFF'];
  return ['PUBLIC', 'MEMBERS'];
}
