// The child process that checks a drill's spooled window (runtime/drill-spool.ts): reads the job
// named on its command line, runs the checkers, sends the answer to its parent and exits.
import fs from "node:fs";
import { checkSpooledJob, type DrillCheckJob } from "./drill-spool.js";

const jobPath = process.argv[2];
try {
  if (jobPath === undefined) throw new Error("usage: drill-check <job.json>");
  const job = JSON.parse(fs.readFileSync(jobPath, "utf8")) as DrillCheckJob;
  const answer = checkSpooledJob(job);
  process.send?.({ answer }, () => process.exit(0));
} catch (error) {
  process.send?.({ error: (error as Error).stack ?? String(error) }, () => process.exit(1));
}
