#!/usr/bin/env node
/**
 * The command line (docs/operations.md): `start`, `check`, `test-profile`. It parses
 * arguments, calls the loaders and the profile tester, and prints; the work happens
 * elsewhere. Exit codes: 0 done, 1 a problem was found (printed as `file:line:col
 * message`), 2 usage (an unknown command or option, printed with the command's usage).
 *
 * A command is one COMMANDS entry and one block in USAGE (its `  uid-listener NAME` lines
 * and the lines indented under them): `--help` / `-h` after the name prints that block
 * (commandUsage), before any name the whole of USAGE.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
import { DEFAULT_CONFIG_YAML, packageVersion } from './config/default-config.js';
import type { LoadedConfig } from './config/load.js';
import type { SampleFailure, TestResult } from './identify/tester.js';

const USAGE = `Usage:
  uid-listener start [--config FILE]
      Run the listener (without --config: the embedded default).
  uid-listener check [--config FILE] [--strict]
      Validate the config, its profiles and their samples, and read every certificate,
      key, CA, secret and token file it names; print every problem as file:line:col
      message and exit 1, or a one-line summary and exit 0. Risky settings are printed
      as file:line:col warning: message (exit 0; with --strict they fail the check).
  uid-listener check --print-default
      Print the embedded default config (a commented starting point).
  uid-listener test-profile PROFILE_FILE|PROFILE_DIR [MESSAGES_FILE|-] [--json]
      Run each message (one per line; - reads stdin) through the profile(s) and say what
      it yields, or why nothing. Without messages, check the samples in the profile files.
  uid-listener squid-helper --url URL [--token-file FILE] [--timeout-ms 5000]
      Squid external_acl_type helper: answers each "%SRC" line with the user the
      listener at URL maps to it (docs/integrations.md).
  uid-listener hash-password
      Read a password from stdin and print its scrypt hash for xmlApi.users[].passwordHash.
  uid-listener test-profile --config FILE --sender NAME MESSAGES_FILE|- [--json]
      The same, exactly as the running listener would for that sender (its profiles,
      defaultDomain, ignoreUsers and networks).
  uid-listener draft-profile SAMPLES_FILE [--out FILE] [--name NAME]
      Draft a starting profile (YAML) from sample lines of a device no profile covers.
  uid-listener --help | -h | --version
      Print this help or the version. COMMAND --help prints that command's usage.
`;

const OK = 0;
const FAILED = 1;
const USAGE_ERROR = 2;

class UsageError extends Error {}

type Command = (args: string[]) => Promise<number>;

const COMMANDS: ReadonlyMap<string, Command> = new Map([
  ['start', start],
  ['check', check],
  ['test-profile', testProfile],
  ['squid-helper', async (args) => (await import('./cli/squid-helper.js')).squidHelper(args)],
  ['hash-password', async (args: string[]) => (await import('./cli/hash-password.js')).hashPasswordCommand(args)],
  ['draft-profile', async (args) => (await import('./cli/draft-profile.js')).draftProfileCommand(args)],
]);

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === '--version') {
    await print(`${packageVersion()}\n`);
    return OK;
  }
  if (command === '--help' || command === '-h') {
    await print(USAGE);
    return OK;
  }
  const run = command === undefined ? undefined : COMMANDS.get(command);
  if (command === undefined || run === undefined) {
    process.stderr.write(`${command === undefined ? 'uid-listener: no command given' : `uid-listener: unknown command "${command}"`}\n${USAGE}`);
    return USAGE_ERROR;
  }
  if (asksHelp(args)) {
    await print(commandUsage(command));
    return OK;
  }
  try {
    return await run(args);
  } catch (error) {
    if (error instanceof ConfigError) return printIssues(error.issues);
    if (error instanceof UsageError || isParseArgsError(error)) {
      process.stderr.write(`uid-listener ${command}: ${(error as Error).message}\n${commandUsage(command)}`);
      return USAGE_ERROR;
    }
    throw error;
  }
}

/** `--help` or `-h` among a command's options (not after `--`, which ends them). */
function asksHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The USAGE block(s) of one command: its `  uid-listener NAME` lines and what is indented under them. */
function commandUsage(command: string): string {
  const lines: string[] = [];
  let inBlock = false;
  for (const line of USAGE.split('\n')) {
    if (line.startsWith('  uid-listener ')) inBlock = line.startsWith(`  uid-listener ${command} `) || line === `  uid-listener ${command}`;
    else if (!line.startsWith('      ')) inBlock = false;
    if (inBlock) lines.push(line);
  }
  return `Usage:\n${lines.join('\n')}\n`;
}

/** Runs until SIGTERM/SIGINT (src/run.ts); a config error is printed as file:line:col like `check`. */
async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } }, strict: true });
  const { runListener } = await import('./run.js');
  return runListener(values.config);
}

async function check(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, 'print-default': { type: 'boolean' }, strict: { type: 'boolean' } }, strict: true });
  if (values['print-default']) {
    if (values.config !== undefined || values.strict) throw new UsageError('--print-default takes no --config or --strict');
    await print(DEFAULT_CONFIG_YAML);
    return OK;
  }
  // Imported when used (RE2, YAML, the schema compiler): --help and --version answer at once.
  const [{ loadConfig }, { checkSamples }] = await Promise.all([import('./config/load.js'), import('./identify/tester.js')]);
  const loaded = await loadConfig(values.config, process.env, { checkFiles: true });
  const failures = checkSamples(loaded.profiles);
  if (failures.length > 0) return printIssues(failures.map(sampleIssue));
  const { warnings } = loaded;
  process.stderr.write(warnings.map((w) => `${w.file}:${w.line}:${w.col} warning: ${w.message}\n`).join(''));
  if (values.strict && warnings.length > 0) return FAILED;
  await print(`${summary(loaded)}\n`);
  return OK;
}

function summary({ config, source, profiles, warnings }: LoadedConfig): string {
  const { syslog, http, accounting } = config;
  const listeners = [
    syslog.udp.enabled && `udp ${syslog.udp.host}:${syslog.udp.port}`,
    syslog.tcp.enabled && `tcp ${syslog.tcp.host}:${syslog.tcp.port}`,
    syslog.tls.enabled && `tls ${syslog.tls.host}:${syslog.tls.port}`,
    http.enabled && `http ${http.host}:${http.port}`,
  ].filter(Boolean);
  const groups = accounting.mode === 'none' ? 'accounting off' : `accounting ${accounting.mode} to ${accounting.groups.length} group(s)`;
  const warned = warnings.length > 0 ? `; ${warnings.length} warning(s)` : '';
  return `${source}: OK: ${config.senders.length} sender(s), ${profiles.names.length} profile(s) with passing samples; ` +
    `listening on ${listeners.join(', ') || 'nothing'}; ${groups}${warned}`;
}

async function testProfile(args: string[]): Promise<number> {
  const options = { json: { type: 'boolean' }, config: { type: 'string' }, sender: { type: 'string' } } as const;
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  if (values.config !== undefined || values.sender !== undefined) {
    if (values.config === undefined || values.sender === undefined || positionals.length !== 1) {
      throw new UsageError('--config FILE and --sender NAME go together, with one MESSAGES_FILE (or -)');
    }
    const { senderTester } = await import('./cli/test-sender.js');
    return testMessages(positionals[0]!, await senderTester(values.config, values.sender), values.json === true);
  }
  const [target, messages, extra] = positionals;
  if (target === undefined || extra !== undefined) throw new UsageError('expects PROFILE_FILE|PROFILE_DIR and at most one MESSAGES_FILE');
  const [{ loadProfiles }, { checkSamples, testMessage }] = await Promise.all([import('./config/profiles.js'), import('./identify/tester.js')]);
  const { profiles, issues } = await loadProfiles(target);
  if (issues.length > 0) return printIssues(issues);

  if (messages === undefined) {
    const failures = checkSamples(profiles);
    if (failures.length > 0) return printIssues(failures.map(sampleIssue));
    await print(`${profiles.names.length} profile(s), every sample passes: ${profiles.names.join(', ')}\n`);
    return OK;
  }
  return testMessages(messages, (message, line) => testMessage(profiles, message, line), values.json === true);
}

/** Each line of `messages` (a file, or - for stdin) through `test`, printed as it comes. */
async function testMessages(messages: string, test: (message: string, line: number) => TestResult, json: boolean): Promise<number> {
  const input = messages === '-' ? process.stdin : createReadStream(messages);
  try {
    for await (const [line, message] of messageLines(input)) {
      const result = test(message, line);
      await print(json ? toJsonLine(result) : describe(result));
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    process.stderr.write(`uid-listener test-profile: cannot read ${messages} (${code})\n`);
    return FAILED;
  }
  return OK;
}

/** The line format docs/configuration.md states for `--json`, keys in this order. */
function toJsonLine({ line, events, reason }: TestResult): string {
  const items = events.map(({ profile, event, user, ip }) => ({ profile, event, user, ip }));
  return `${JSON.stringify({ line, events: items, reason })}\n`;
}

function describe(result: TestResult): string {
  if (result.events.length === 0) return `line ${result.line}: nothing (${result.reason ?? 'no event'})\n`;
  return result.events
    .map((e) => `line ${result.line}: ${e.event} ${e.user} at ${e.ip} (profile ${e.profile})\n`)
    .join('');
}

/**
 * `[line number, message]` for each line, taken literally: only the line ending (LF or
 * CR LF) is removed. Empty lines are not messages but still count; a UTF-8 byte order
 * mark at the start of the file is an encoding marker, not message text.
 */
async function* messageLines(input: Readable): AsyncGenerator<[number, string]> {
  input.setEncoding('utf8');
  let pending = '';
  let line = 0;
  for await (const chunk of input as AsyncIterable<string>) {
    pending += line === 0 && pending === '' && chunk.startsWith('\uFEFF') ? chunk.slice(1) : chunk;
    let start = 0;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      line++;
      const message = pending.slice(start, pending.charCodeAt(end - 1) === 13 && end > start ? end - 1 : end);
      start = end + 1;
      if (message !== '') yield [line, message];
    }
    pending = pending.slice(start);
  }
  if (pending !== '') yield [line + 1, pending];
}

function sampleIssue(failure: SampleFailure): ConfigIssue {
  return {
    code: 'UID_ERR_PROFILE_SAMPLE',
    file: failure.file,
    line: failure.line,
    col: 1,
    message: failure.message, // names the profile and the sample
  };
}

function printIssues(issues: readonly ConfigIssue[]): number {
  process.stderr.write(issues.map((issue) => `${formatIssue(issue)}\n`).join(''));
  return FAILED;
}

/** Writes to stdout and waits when the pipe is full, so a large test run does not pile up in memory. */
async function print(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}


function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

// A reader that closes the pipe early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? OK);
});

process.exitCode = await main(process.argv.slice(2));
