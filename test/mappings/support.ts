/** Event builders shared by the mapping tests. */
import type { IdentityEvent } from '../../src/identify/event.js';
import type { Mapping } from '../../src/mappings/table.js';

export function login(ip: string, user: string, more: Partial<IdentityEvent> = {}): IdentityEvent {
  return { event: 'login', ip, user, sender: 'esm', profile: 'traps-esm-leef', ...more };
}

export function logout(ip: string, user: string, more: Partial<IdentityEvent> = {}): IdentityEvent {
  return { event: 'logout', ip, user, sender: 'esm', profile: 'traps-esm-leef', ...more };
}

export function ipsOf(mappings: readonly Mapping[]): string[] {
  return mappings.map((m) => m.ip).sort();
}

/** 10.(i>>16).(i>>8).(i) with a last octet never 0 or 255, for bulk tests. */
export function ipFor(i: number): string {
  return `10.${(i >> 14) & 255}.${(i >> 7) & 127}.${(i & 127) + 1}`;
}
