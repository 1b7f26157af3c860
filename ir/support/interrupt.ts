// What tf2tvm does on SIGINT and SIGTERM: first every registered `stop`
// (child processes such as TVM build workers are killed, and waited for, up
// to a second), then every registered `remove` (staging folders), then exit
// 128 + the signal number (130, 143), as a shell reports a process killed by
// it. A second signal while that runs skips the waiting. kill -9 cannot be
// caught: abandoned staging folders are removed by the next run instead
// (src/output.ts).

type Stop = () => Promise<void> | void;
type Remove = () => void;

const stops = new Set<Stop>();
const removes = new Set<Remove>();

/** Registers a child process stopper; returns its unregistration. */
export function onInterruptStop(stop: Stop): () => void {
  stops.add(stop);
  return () => stops.delete(stop);
}

/** Registers a synchronous clean-up (removing a folder); returns its unregistration. */
export function onInterruptRemove(remove: Remove): () => void {
  removes.add(remove);
  return () => removes.delete(remove);
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;
const STOP_WAIT_MS = 1000;

function removeAll(): void {
  for (const r of removes) {
    try {
      r();
    } catch {
      // best effort: the next run removes what is left
    }
  }
  removes.clear();
}

let installed = false;
let interrupted = false;

/** Whether a signal has come: nothing may be committed any more. */
export function isInterrupted(): boolean {
  return interrupted;
}

/** Installs the handlers (once per process; the CLI does it at start). */
export function installInterruptHandlers(): void {
  if (installed) return;
  installed = true;
  for (const [sig, n] of Object.entries(SIGNAL_NUMBERS)) {
    process.on(sig, () => {
      const code = 128 + n;
      if (interrupted) {
        removeAll();
        process.exit(code);
      }
      interrupted = true;
      process.stderr.write(`tf2tvm: interrupted by ${sig}\n`);
      const waits = [...stops].map((s) => Promise.resolve().then(s));
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_WAIT_MS));
      void Promise.race([Promise.allSettled(waits), timeout]).then(() => {
        removeAll();
        process.exit(code);
      });
    });
  }
}
