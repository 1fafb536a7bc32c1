/**
 * rsyslog as the reference receiver (Debian package, run in the foreground with its own
 * config in a temp dir): imudp with the given receive buffer and/or imtcp over TLS with the
 * openssl driver, every message written to one file with the default file template.
 * `processed()` counts the lines written so far (read incrementally); between measurements
 * `rotate()` removes the file and has rsyslog reopen it (SIGHUP), keeping the count.
 */
import { closeSync, existsSync, openSync, readSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './machine.mjs';
import { start } from './proc.mjs';

export function rsyslogd() {
  return which('rsyslogd');
}

/** A message about what to install, or null when rsyslog (and, for TLS, its openssl driver) is there. */
export function rsyslogMissing(tls) {
  const binary = rsyslogd();
  if (!binary) return 'rsyslogd not found (apt-get install rsyslog rsyslog-openssl)';
  if (tls && !['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog'].some((d) => existsSync(join(d, 'lmnsd_ossl.so')))) {
    return 'the rsyslog openssl driver is missing (apt-get install rsyslog-openssl)';
  }
  return null;
}

export async function startRsyslog(dir, { udpPort, bufferBytes, tlsPort, certs }) {
  const out = join(dir, 'rsyslog-out.log');
  const lines = [`global(workDirectory="${dir}"`];
  if (tlsPort) {
    lines.push(`  defaultNetstreamDriver="ossl"`, `  defaultNetstreamDriverCAFile="${certs}/ca.crt"`,
      `  defaultNetstreamDriverCertFile="${certs}/server.crt"`, `  defaultNetstreamDriverKeyFile="${certs}/server.key"`);
  }
  lines.push(')');
  if (udpPort) {
    lines.push('module(load="imudp")');
    lines.push(`input(type="imudp" address="127.0.0.1" port="${udpPort}" rcvbufSize="${bufferBytes}" ruleset="bench")`);
  }
  if (tlsPort) {
    lines.push('module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon" maxSessions="10000")');
    lines.push(`input(type="imtcp" address="127.0.0.1" port="${tlsPort}" ruleset="bench")`);
  }
  lines.push(`ruleset(name="bench") { action(type="omfile" file="${out}") }`);
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const proc = start(rsyslogd(), ['-n', '-f', conf, '-i', join(dir, 'rsyslog.pid')]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  if (!proc.alive()) throw new Error(`rsyslogd did not start:\n${proc.output}`);

  let done = 0; // lines in files already rotated away
  let offset = 0;
  let current = 0;
  const chunk = Buffer.allocUnsafe(1 << 20);
  const processed = async () => {
    if (!existsSync(out)) return done;
    const size = statSync(out).size;
    if (size > offset) {
      const fd = openSync(out, 'r');
      try {
        while (offset < size) {
          const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - offset), offset);
          if (n <= 0) break;
          for (let at = chunk.indexOf(10, 0); at !== -1 && at < n; at = chunk.indexOf(10, at + 1)) current++;
          offset += n;
        }
      } finally {
        closeSync(fd);
      }
    }
    return done + current;
  };
  /** Call only when quiet: the lines so far stay counted, the file goes. */
  const rotate = async () => {
    await processed();
    if (existsSync(out)) unlinkSync(out);
    done += current;
    current = 0;
    offset = 0;
    proc.child.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 100));
  };
  return {
    name: `rsyslog ${tlsPort ? 'imtcp+ossl' : 'imudp'}`,
    role: 'reference',
    pid: proc.pid,
    port: udpPort ?? tlsPort,
    processed,
    rotate,
    output: () => proc.output,
    stop: () => proc.stop(),
  };
}
