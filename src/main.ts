#!/usr/bin/env node
/**
 * The command line (DESIGN §3): `start`, `check`, `test-profile`. It parses arguments,
 * calls the loaders and the profile tester, and prints; the work happens elsewhere.
 * Exit codes: 0 done, 1 a problem was found (printed as `file:line:col message`), 2 usage.
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
  uid-listener check [--config FILE]
      Validate the config, its profiles and their samples; print every problem as
      file:line:col message and exit 1, or a one-line summary and exit 0.
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
  uid-listener --help | --version
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
]);

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === '--version') {
    await print(`${packageVersion()}\n`);
    return OK;
  }
  const run = command === undefined ? undefined : COMMANDS.get(command);
  if (run === undefined) {
    const help = command === '--help' || command === '-h';
    if (!help) process.stderr.write(command === undefined ? 'uid-listener: no command given\n' : `uid-listener: unknown command "${command}"\n`);
    (help ? process.stdout : process.stderr).write(USAGE);
    return USAGE_ERROR;
  }
  try {
    return await run(args);
  } catch (error) {
    if (error instanceof ConfigError) return printIssues(error.issues);
    if (error instanceof UsageError || isParseArgsError(error)) {
      process.stderr.write(`uid-listener ${command}: ${(error as Error).message}\n${USAGE}`);
      return USAGE_ERROR;
    }
    throw error;
  }
}

/** Runs until SIGTERM/SIGINT (src/run.ts); a config error is printed as file:line:col like `check`. */
async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } }, strict: true });
  const { runListener } = await import('./run.js');
  return runListener(values.config);
}

async function check(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, 'print-default': { type: 'boolean' } }, strict: true });
  if (values['print-default']) {
    if (values.config !== undefined) throw new UsageError('--print-default takes no --config');
    await print(DEFAULT_CONFIG_YAML);
    return OK;
  }
  // Imported when used (RE2, YAML, the schema compiler): --help and --version answer at once.
  const [{ loadConfig }, { checkSamples }] = await Promise.all([import('./config/load.js'), import('./identify/tester.js')]);
  const loaded = await loadConfig(values.config);
  for (const warning of loaded.warnings) process.stderr.write(`${formatIssue({ ...warning, message: `warning: ${warning.message}` })}\n`);
  const failures = checkSamples(loaded.profiles);
  if (failures.length > 0) return printIssues(failures.map(sampleIssue));
  await print(`${summary(loaded)}\n`);
  return OK;
}

function summary({ config, source, profiles }: LoadedConfig): string {
  const { syslog, http, accounting } = config;
  const listeners = [
    syslog.udp.enabled && `udp ${syslog.udp.host}:${syslog.udp.port}`,
    syslog.tcp.enabled && `tcp ${syslog.tcp.host}:${syslog.tcp.port}`,
    syslog.tls.enabled && `tls ${syslog.tls.host}:${syslog.tls.port}`,
    http.enabled && `http ${http.host}:${http.port}`,
  ].filter(Boolean);
  const groups = accounting.mode === 'none' ? 'accounting off' : `accounting ${accounting.mode} to ${accounting.groups.length} group(s)`;
  return `${source}: OK: ${config.senders.length} sender(s), ${profiles.names.length} profile(s) with passing samples; ` +
    `listening on ${listeners.join(', ') || 'nothing'}; ${groups}`;
}

async function testProfile(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
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
  const input = messages === '-' ? process.stdin : createReadStream(messages);
  try {
    for await (const [line, message] of messageLines(input)) {
      const result = testMessage(profiles, message, line);
      await print(values.json ? toJsonLine(result) : describe(result));
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    process.stderr.write(`uid-listener test-profile: cannot read ${messages} (${code})\n`);
    return FAILED;
  }
  return OK;
}

/** The contract's line format (DESIGN §3), keys in this order. */
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
