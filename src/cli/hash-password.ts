/**
 * `uid-listener hash-password`: reads one password from stdin (the first line, without its
 * line end) and prints its scrypt hash for `xmlApi.users[].passwordHash`
 * (src/xml-api/password-hash.ts), so the password itself never sits in the config file.
 */
import { hashPassword } from '../xml-api/password-hash.js';

export async function hashPasswordCommand(args: string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  if (args.length > 0) {
    process.stderr.write('uid-listener hash-password takes no arguments: the password comes on stdin (printf %s "$PW" | uid-listener hash-password)\n');
    return 2;
  }
  let text = '';
  for await (const chunk of stdin) text += chunk.toString();
  const password = text.split(/\r?\n/, 1)[0] ?? '';
  if (password === '') {
    process.stderr.write('uid-listener hash-password: no password on stdin\n');
    return 1;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}
