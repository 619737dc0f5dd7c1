// CPU time of a process from /proc/<pid>/stat (Linux): user + system, in µs. The live bench
// divides it by the transfers acknowledged to report CPU per transfer per process role; on a
// system without /proc it answers null and the bench leaves the figure out.

import { readFileSync } from "node:fs";

/** utime and stime are fields 14 and 15 of /proc/<pid>/stat; the command name may hold spaces. */
const UTIME_FIELD_AFTER_COMM = 11;
/** Kernel clock ticks per second; 100 on every Linux this runs on (`getconf CLK_TCK`). */
export const CLOCK_TICKS_PER_SECOND = 100;

export function processCpuUs(pid: number | null | undefined): number | null {
  if (pid === null || pid === undefined) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[UTIME_FIELD_AFTER_COMM]) + Number(fields[UTIME_FIELD_AFTER_COMM + 1]);
  return Number.isFinite(ticks) ? (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND : null;
}

/** CPU of several processes summed; null when any of them cannot be read. */
export function processesCpuUs(pids: readonly (number | null | undefined)[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const us = processCpuUs(pid);
    if (us === null) return null;
    total += us;
  }
  return total;
}
