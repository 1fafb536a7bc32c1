/** Shared test data: the PAN-OS KB's Traps ESM parse profile (without a name: it comes from the file name). */
export const ESM_PROFILE_YAML = `description: Traps ESM heartbeat
type: regex
event: login
eventRegex: 'Service is alive'
usernameRegex: 'duser=([a-zA-Z0-9\\_]+)'
addressRegex: 'dst=([A-F0-9a-f:.]+)'
samples:
  - message: "LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\\tdst=10.1.2.3"
    expect: [{ user: jdoe, ip: 10.1.2.3, event: login }]
`;

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection<E = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}
