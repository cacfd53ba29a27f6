import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const WORKER_SCRIPT = join(__dirname, '..', 'fixtures', 'queue-worker', 'worker.mjs');

/**
 * Starts the BullMQ worker fixture in its own Node.js process on the Redis at `port` and waits
 * until it is connected. Jobs named "ok" succeed; jobs named "fail" throw an error named after
 * `job.data.errorName`.
 */
export function startWorker(port: number, queue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WORKER_SCRIPT, String(port), queue], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with code ${code}:\n${output}`));
    });
  });
}

/** Kills a child process (SIGKILL) and waits until it has exited. */
export function stopProcess(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
