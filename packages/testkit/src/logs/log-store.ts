/** Options of one `pods/log` read. */
export interface LogReadOptions {
  /** Only the last N lines. */
  readonly tailLines?: number;
  /** Prefix each line with an RFC 3339 timestamp. */
  readonly timestamps?: boolean;
}

interface Line {
  readonly time: string;
  readonly text: string;
}

interface ContainerLog {
  lines: Line[];
  /** Text after the last newline, not yet a line. */
  partial: string;
  followers: Set<(chunk: string) => void>;
  enders: Set<() => void>;
}

/** A follower of a container's log; `stop()` detaches it. */
export interface LogFollower {
  stop(): void;
}

/**
 * Per-container log buffers behind `pods/log`: tests (or the container runtime) append text, reads
 * return it, and `follow=true` readers receive text appended later.
 */
export class LogStore {
  private readonly logs = new Map<string, ContainerLog>();

  private entry(namespace: string, pod: string, container: string): ContainerLog {
    const key = `${namespace}/${pod}/${container}`;
    let log = this.logs.get(key);
    if (!log) {
      log = { lines: [], partial: '', followers: new Set(), enders: new Set() };
      this.logs.set(key, log);
    }
    return log;
  }

  /** Appends text (any number of lines) to a container's log and wakes followers. */
  append(namespace: string, pod: string, container: string, text: string): void {
    const log = this.entry(namespace, pod, container);
    const time = new Date().toISOString();
    const pieces = (log.partial + text).split('\n');
    log.partial = pieces.pop() ?? '';
    for (const p of pieces) log.lines.push({ time, text: p });
    for (const f of [...log.followers]) f(text);
  }

  /** The current log text, honouring tailLines and timestamps. */
  read(namespace: string, pod: string, container: string, options: LogReadOptions = {}): string {
    const log = this.entry(namespace, pod, container);
    let lines = log.lines;
    if (options.tailLines !== undefined)
      lines = options.tailLines <= 0 ? [] : lines.slice(-options.tailLines);
    const render = (l: Line) => (options.timestamps ? `${l.time} ${l.text}\n` : `${l.text}\n`);
    return lines.map(render).join('') + (options.tailLines === undefined ? log.partial : '');
  }

  /** Receives text appended from now on; `onEnd` runs when the container's log ends. */
  follow(
    namespace: string,
    pod: string,
    container: string,
    onData: (chunk: string) => void,
    onEnd: () => void,
  ): LogFollower {
    const log = this.entry(namespace, pod, container);
    log.followers.add(onData);
    log.enders.add(onEnd);
    return {
      stop: () => {
        log.followers.delete(onData);
        log.enders.delete(onEnd);
      },
    };
  }

  /** Ends every follower of a container (the container exited), or of a whole pod when container is omitted. */
  end(namespace: string, pod: string, container?: string): void {
    for (const [key, log] of this.logs) {
      const prefix = container === undefined ? `${namespace}/${pod}/` : `${namespace}/${pod}/${container}`;
      if (container === undefined ? !key.startsWith(prefix) : key !== prefix) continue;
      const enders = [...log.enders];
      log.followers.clear();
      log.enders.clear();
      for (const e of enders) e();
    }
  }

  /** Forgets a pod's logs (the pod was deleted), ending its followers first. */
  forget(namespace: string, pod: string): void {
    this.end(namespace, pod);
    for (const key of [...this.logs.keys()])
      if (key.startsWith(`${namespace}/${pod}/`)) this.logs.delete(key);
  }

  /** Ends every follower (close()). */
  endAll(): void {
    for (const log of this.logs.values()) {
      const enders = [...log.enders];
      log.followers.clear();
      log.enders.clear();
      for (const e of enders) e();
    }
  }
}
