/**
 * The addresses of the HTTP benchmark's snapshot: 172.(16 + i/65536).(i/256 % 256).(i % 256)
 * for i below the table size (up to 1,048,576), the same scheme as wrk-mappings.lua.
 */
export function snapshotAddress(i) {
  return `172.${16 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
}

export function addressPath(i) {
  return `/v1/mappings/${snapshotAddress(i)}`;
}
