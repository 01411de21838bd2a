// CPU time and resident memory of another process, from Linux procfs (proc(5)).
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ is 100 on every Linux ABI Node supports (sysconf(_SC_CLK_TCK)); utime/stime are in ticks.
const TICK_US = 10_000;

function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** user + system CPU time of `pid` so far, in µs (10 ms resolution). */
export function cpuMicros(pid) {
  const fields = statFields(pid);
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** Resident set size of `pid` (VmRSS), in KiB. */
export function rssKiB(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/** Pids whose parent is `pid` (nginx's workers under its master). */
export function childPids(pid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(entry)[1]) === pid) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** The 1-minute load average, from /proc/loadavg. */
export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}
