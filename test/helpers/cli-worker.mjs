// The worker thread of `cliInProcess()` (test/helpers/cli.ts): loads the compiled CLI once and
// runs one command line at a time through its `main()`, as bin/soberana.js does, with that
// call's environment and its stdout and stderr captured. A worker has its own process.env and
// standard streams, so nothing here touches the test process's (whose stdout carries the test
// runner's report).
import { Buffer } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';

const { main } = await import(workerData.mainUrl);

function capture(stream, into) {
  const original = stream.write;
  stream.write = (chunk, encoding, callback) => {
    into.push(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(chunk));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
  return () => {
    stream.write = original;
  };
}

async function runOne({ id, args, env }) {
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, env);
  const out = [];
  const err = [];
  const restoreOut = capture(process.stdout, out);
  const restoreErr = capture(process.stderr, err);
  let code;
  try {
    code = await main(args);
  } catch (e) {
    // the binary would die of it: exit code 1 and the stack on stderr
    code = 1;
    err.push(Buffer.from(`${e instanceof Error ? e.stack : String(e)}\n`));
  } finally {
    restoreOut();
    restoreErr();
  }
  parentPort.postMessage({ id, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
}

let queue = Promise.resolve();
parentPort.on('message', (msg) => {
  queue = queue.then(() => runOne(msg));
});
parentPort.postMessage({ ready: true });
