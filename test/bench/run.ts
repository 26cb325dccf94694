/**
 * `npm run bench [-- slack|scaling]`: picks a benchmark. `slack` (the default): Slack ack latency
 * under load (slack-ack.ts). `scaling`: tool-turn throughput with 1, 2 and 3 processes on one
 * Redis and on a Redis Cluster (scaling.ts).
 */
const which = process.argv[2] ?? 'slack';
if (which === 'scaling') await import('./scaling.js');
else if (which === 'slack') await import('./slack-ack.js');
else {
  process.stderr.write(`Unknown benchmark "${which}": use slack or scaling.\n`);
  process.exit(2);
}
