// Process-wide cleanup of live worlds: on normal exit every replica is SIGKILLed (synchronously:
// nothing can be awaited in an 'exit' handler), and on SIGINT/SIGTERM the same happens before
// exiting with the conventional status. A supervisor killed with SIGKILL runs none of this; its
// replicas notice the closed IPC channel and exit on their own (runtime/live/replica-main.ts).

type Killer = () => void;

const killers = new Set<Killer>();
let installed = false;

function killAll(): void {
  for (const killer of killers) killer();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      killAll();
      // Only exit if nobody else handles the signal (e.g. `ldc start` closes its server first).
      if (process.listenerCount(signal) === 1) process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

export function registerCleanup(killer: Killer): () => void {
  install();
  killers.add(killer);
  return () => killers.delete(killer);
}
