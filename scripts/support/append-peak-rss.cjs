// Preloaded by the review benchmark into every node process of a review (the review, and the
// builds and syntheses it starts): on exit, appends the process's peak RSS (KB) and CPU time (ms) to the file named by
// PEAK_RSS_FILE (their stderr is the review's to keep). Worker threads share the process's RSS.
if (require('node:worker_threads').isMainThread && process.env.PEAK_RSS_FILE) {
  process.on('exit', () => {
    require('node:fs').appendFileSync(process.env.PEAK_RSS_FILE, `${process.pid} ${process.resourceUsage().maxRSS} ${Math.round((process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000)}\n`);
  });
}
