/**
 * The all-identity steady mix (issue 13: the steady case of a busy NAC): every positive
 * sample line of every shipped login profile (messages real devices sent), keeping only
 * lines whose addresses no other line gives to another user, so that replayed in a loop
 * each address keeps its user: every message an identity event, nearly every one a refresh.
 */
import { PROFILES } from './listener.mjs';

/** The lines of a loaded ProfileSet, as Buffers. */
export function steadyLines(profiles) {
  const logins = profiles.names.filter((name) => profiles.profile(name).event === 'login');
  const lines = logins.flatMap((name) => (profiles.profile(name).definition.samples ?? []).filter((s) => s.expect.length > 0));
  const owners = new Map();
  for (const { expect } of lines) {
    for (const { ip, user } of expect) {
      const owner = user.toLowerCase();
      owners.set(ip, owners.has(ip) && owners.get(ip) !== owner ? null : owner);
    }
  }
  return lines.filter(({ expect }) => expect.every(({ ip }) => owners.get(ip) !== null)).map((s) => Buffer.from(s.message));
}

/** The shipped profiles (profiles/, through the build in dist/), loaded once. */
let shipped;
export async function shippedProfiles() {
  if (!shipped) {
    const { loadProfiles } = await import('../../dist/config/profiles.js');
    const { profiles, issues } = await loadProfiles(PROFILES);
    if (issues.length > 0) throw new Error(`profiles/ has issues: ${issues.map((i) => i.message).join('; ')}`);
    shipped = profiles;
  }
  return shipped;
}
