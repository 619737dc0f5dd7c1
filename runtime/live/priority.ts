// CPU priority of the live world's own processes. In a staging environment every replica has
// its own cores and the workload generator runs elsewhere; here 30 replicas, the Toxiproxy that
// carries every link, the supervisor (region clients, workload, checkers) and other people's
// jobs share two cores, and a surviving replica whose vote waits for a core turns one election
// round into several (3 survivors of 5 must all vote for one candidate, so a slow round lets a
// second candidate start and split the vote). The live world's processes (supervisor, replicas,
// Toxiproxy) therefore run at a higher priority than the rest of the machine when the OS allows
// it (negative nice needs root or CAP_SYS_NICE; otherwise nothing changes). The supervisor is
// included: its region clients' latency is part of every RTO. This takes CPU from other jobs on
// a shared machine while a live run lasts. LDC_LIVE_NICE=<-20..19> overrides, 0 turns it off.

import { setPriority } from "node:os";

export const LIVE_PROCESS_NICE_DEFAULT = -5;

export class LivePriorityError extends Error {
  readonly code = "BAD_NICE";
}

/** The nice value for replica and Toxiproxy processes: LDC_LIVE_NICE, else the default. */
export function liveProcessNice(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LDC_LIVE_NICE;
  if (raw === undefined || raw.trim() === "") return LIVE_PROCESS_NICE_DEFAULT;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < -20 || value > 19)
    throw new LivePriorityError(`LDC_LIVE_NICE must be an integer in -20..19, got ${JSON.stringify(raw)}`);
  return value;
}

/** Sets `pid`'s nice value; false when the OS refuses (not privileged) or the process is gone. */
export function applyLiveNice(pid: number | undefined, nice: number): boolean {
  if (pid === undefined || nice === 0) return false;
  try {
    setPriority(pid, nice);
    return true;
  } catch {
    return false;
  }
}
