/**
 * The daemons' log lines on stderr. Under journald (JOURNAL_STREAM set, as systemd sets
 * it) a line starts with the syslog priority prefix journald turns into the entry's
 * level (`<6>` info, `<4>` warning) — journald adds the time. Elsewhere it starts with an
 * ISO timestamp and the level. Then the source (`pqconnect[pid]`) and the message.
 */
export type LogLevel = 'info' | 'warn';
export type Logger = (message: string, level?: LogLevel) => void;

const PRIORITY: Record<LogLevel, string> = { info: '<6>', warn: '<4>' };
const WORD: Record<LogLevel, string> = { info: 'INFO', warn: 'WARN' };

export function formatLogLine(
  source: string,
  message: string,
  level: LogLevel,
  underJournald: boolean,
  now: Date,
): string {
  const head = underJournald ? PRIORITY[level] : `${now.toISOString()} ${WORD[level]} `;
  return `${head}${source}: ${message}\n`;
}

/** The worker marks its warnings with a leading "WARN "; root logs them as warnings. */
export function workerLineLevel(line: string): { message: string; level: LogLevel } {
  return line.startsWith('WARN ')
    ? { message: line.slice(5), level: 'warn' }
    : { message: line, level: 'info' };
}

export function daemonLogger(source: string): Logger {
  const underJournald = process.env.JOURNAL_STREAM !== undefined;
  return (message, level = 'info') => {
    process.stderr.write(formatLogLine(source, message, level, underJournald, new Date()));
  };
}
