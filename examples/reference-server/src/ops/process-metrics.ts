import { readdirSync, readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';

// prom-client's collectDefaultMetrics() starts a process-wide GC PerformanceObserver and an event
// loop monitor that nothing can stop, so every server in a process would leak one of each. These
// are the same metric names (dashboards built for prom-client work unchanged), read on scrape, with
// the one monitor owned by the registry's server and stopped by close().

function openFileDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1; // minus the descriptor readdir itself opened
  } catch {
    return undefined; // not Linux
  }
}

function maxFileDescriptors(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s+/)[3];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Registers the process metrics (`process_cpu_*`, `process_resident_memory_bytes`,
 * `process_start_time_seconds`, `process_open_fds`, `process_max_fds`, `nodejs_heap_*`,
 * `nodejs_eventloop_lag_*`, `nodejs_version_info`) on `registry`. Returns the function that stops
 * the event loop monitor.
 */
export function registerProcessMetrics(registry: Registry): () => void {
  const registers = [registry];
  const loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const startSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  // CPU time is a counter: each scrape adds what was used since the previous one (the first, since
  // the process started). The first counter collected updates all three so one scrape is consistent.
  let lastCpu = { user: 0, system: 0 };
  new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    collect() {
      const now = process.cpuUsage();
      const user = Math.max(now.user - lastCpu.user, 0) / 1e6;
      const system = Math.max(now.system - lastCpu.system, 0) / 1e6;
      lastCpu = now;
      this.inc(user);
      cpuSystem.inc(system);
      cpuTotal.inc(user + system);
    },
  });
  const cpuSystem = new Counter({
    name: 'process_cpu_system_seconds_total',
    help: 'Total system CPU time spent in seconds.',
    registers,
  });
  const cpuTotal = new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
  });
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    registers,
    collect() {
      this.set(startSeconds);
    },
  });
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors (Linux only).',
    registers,
    collect() {
      const open = openFileDescriptors();
      if (open !== undefined) this.set(open);
    },
  });
  new Gauge({
    name: 'process_max_fds',
    help: 'Maximum number of open file descriptors (Linux only).',
    registers,
    collect() {
      const max = maxFileDescriptors();
      if (max !== undefined) this.set(max);
    },
  });
  new Gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'Process heap size from Node.js in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage().heapTotal);
    },
  });
  new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'Process heap size used from Node.js in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Node.js external memory size in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage().external);
    },
  });
  const lag = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const value = read();
        // The histogram reports NaN / huge values until its first sample.
        if (Number.isFinite(value) && loop.count > 0) this.set(value / 1e9);
      },
    });
  lag('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.', () => loop.mean);
  lag('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', () => loop.max);
  lag('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.', () =>
    loop.percentile(99),
  );
  const [major, minor, patch] = process.versions.node.split('.');
  new Gauge({
    name: 'nodejs_version_info',
    help: 'Node.js version info.',
    labelNames: ['version', 'major', 'minor', 'patch'],
    registers,
  }).set({ version: process.version, major: major ?? '', minor: minor ?? '', patch: patch ?? '' }, 1);
  return () => loop.disable();
}
