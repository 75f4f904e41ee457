// Preloaded by the synth benchmark into the process it measures: reports the peak RSS on exit.
process.on('exit', () => {
  process.stderr.write(`PEAK_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
