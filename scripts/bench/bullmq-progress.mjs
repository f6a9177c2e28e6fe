// BullMQ's job.updateProgress with N calls in flight from one Node process against one Redis: the peer figure that
// scripts/bench-bullmq.sh prints beside Tally's async records. Prints one line: "bullmq-updateProgress <calls/s>".
// Args: redis URL, seconds, warm-up seconds, calls in flight, queue prefix. Needs bullmq in NODE_PATH's node_modules.
// With seconds given as "calls=N" it makes N calls after the warm-up instead, first printing "warm" and then waiting
// for a line on stdin (scripts/bench-redis-instructions.sh zeroes its counters in between), and prints "done".
import { Queue } from 'bullmq';

const [url, secs, warmup, inflight, prefix] = process.argv.slice(2);
const u = new URL(url);
const connection = { host: u.hostname, port: Number(u.port || 6379) };
const queue = new Queue('bench', { connection, prefix });
await queue.obliterate({ force: true }).catch(() => {});
const jobs = await Promise.all(
  Array.from({ length: Number(inflight) }, (_, i) => queue.add('bench', { i }, { removeOnComplete: true })),
);

async function run(ms) {
  let done = 0;
  const until = Date.now() + ms;
  // each of the N loops keeps one call in flight; updateProgress writes the progress and publishes an event, as
  // Tally's record does
  await Promise.all(
    jobs.map(async (job) => {
      let n = 0;
      while (Date.now() < until) {
        await job.updateProgress(++n);
        done++;
      }
    }),
  );
  return done;
}

await run(Number(warmup) * 1000);
if (secs.startsWith('calls=')) {
  const calls = Number(secs.slice('calls='.length));
  console.log('warm');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  // the N jobs' loops share the calls, as many in flight as the other rows of the count send pipelined
  await Promise.all(
    jobs.map(async (job, i) => {
      for (let n = i; n < calls; n += jobs.length) {
        await job.updateProgress(n);
      }
    }),
  );
  console.log('done');
  await queue.close();
  process.exit(0);
}
const started = process.hrtime.bigint();
const done = await run(Number(secs) * 1000);
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`bullmq-updateProgress ${Math.round(done / elapsed)}`);
await queue.obliterate({ force: true }).catch(() => {});
await queue.close();
