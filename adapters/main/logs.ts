/**
 * Logs in console mode: the chat owns stdout, so log lines go to stderr as readable text
 * (pino-pretty, in this thread — no worker — so a line is out before the process exits) instead of
 * JSON lines. Slack and Discord modes keep JSON on stderr for log collectors.
 */
import pinoPretty from 'pino-pretty';

/** A pino destination writing pretty lines to stderr; colours only when stderr is a terminal. */
export function prettyStderr(): NodeJS.WritableStream {
  return pinoPretty({
    destination: 2,
    sync: true,
    colorize: process.stderr.isTTY === true,
    ignore: 'pid,hostname',
    translateTime: 'SYS:HH:MM:ss',
  });
}
