/** The tokens of a tokens file (`http.tokensFile`, `squid-helper --token-file`), without importing the config loader. */

/** One token per line; surrounding blanks, empty lines and `#` comment lines are ignored. */
export function tokenLines(content: string): string[] {
  return content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
