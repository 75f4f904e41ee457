// Preloaded by the synth benchmark into the process it measures: on exit, reports the peak RSS
// and the CPU time (user + system, all threads). Worker threads run preloads too: only the main
// thread reports.
if (require('node:worker_threads').isMainThread) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    process.stderr.write(`PEAK_RSS_KB=${usage.maxRSS} CPU_MS=${Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)}\n`);
  });
}
