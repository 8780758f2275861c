/**
 * Runs the RunningObserver on its own thread, so the bench's main thread (metrics parsing, child
 * process bookkeeping) cannot delay the moment a watch event is stamped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Api, loadTarget } from './api.ts';
import { RunningObserver } from './observer.ts';

interface Input {
  readonly kubeconfig: string;
  readonly namespace: string;
}

const input = workerData as Input;
const api = new Api(loadTarget(input.kubeconfig), 2);
const observer = new RunningObserver();
const port = parentPort;
if (port === null) throw new Error('observer-worker must run as a worker thread');

port.on('message', (message: { type: string; count?: number; deadlineMs?: number }) => {
  void (async () => {
    if (message.type === 'wait') {
      const seen = await observer.waitFor(message.count ?? 0, message.deadlineMs ?? 0);
      port.postMessage({ type: 'waited', seen });
    } else if (message.type === 'stop') {
      await observer.stop();
      api.close();
      const failure = observer.error;
      const error = failure === undefined ? undefined : failure instanceof Error ? failure.message : JSON.stringify(failure);
      port.postMessage({ type: 'stopped', running: [...observer.running.entries()], events: observer.events, error });
      port.close();
    }
  })();
});

try {
  await observer.start(api, input.namespace);
  port.postMessage({ type: 'started' });
} catch (e) {
  port.postMessage({ type: 'failed', error: String(e) });
}
