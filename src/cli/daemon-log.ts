/**
 * The daemons' log lines on stderr. Text (the default): under journald (JOURNAL_STREAM
 * set, as systemd sets it) a line starts with the syslog priority prefix journald turns
 * into the entry's level (`<7>` debug, `<6>` info, `<4>` warning) — journald adds the time;
 * elsewhere it starts with an ISO timestamp and the level. Then the source
 * (`pqconnect[pid]`) and the message. JSON (`--log-format json`): one object per line
 * with time, level, source and message (after the priority prefix under journald).
 */
export type LogLevel = 'debug' | 'info' | 'warn';
export type LogFormat = 'text' | 'json';
export type Logger = (message: string, level?: LogLevel) => void;

const PRIORITY: Record<LogLevel, string> = { debug: '<7>', info: '<6>', warn: '<4>' };
const WORD: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN' };

export function formatLogLine(
  source: string,
  message: string,
  level: LogLevel,
  underJournald: boolean,
  now: Date,
  format: LogFormat = 'text',
): string {
  if (format === 'json') {
    const record = JSON.stringify({ time: now.toISOString(), level, source, message });
    return `${underJournald ? PRIORITY[level] : ''}${record}\n`;
  }
  const head = underJournald ? PRIORITY[level] : `${now.toISOString()} ${WORD[level]} `;
  return `${head}${source}: ${message}\n`;
}

/** The worker marks its warnings with a leading "WARN " and debug lines with "DEBUG ". */
export function workerLineLevel(line: string): { message: string; level: LogLevel } {
  if (line.startsWith('WARN ')) return { message: line.slice(5), level: 'warn' };
  if (line.startsWith('DEBUG ')) return { message: line.slice(6), level: 'debug' };
  return { message: line, level: 'info' };
}

export function daemonLogger(source: string, format: LogFormat = 'text'): Logger {
  const underJournald = process.env.JOURNAL_STREAM !== undefined;
  return (message, level = 'info') => {
    process.stderr.write(formatLogLine(source, message, level, underJournald, new Date(), format));
  };
}
