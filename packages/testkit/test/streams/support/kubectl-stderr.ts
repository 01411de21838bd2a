// kubectl 1.30-1.33 log this when the API server's empty first message of a WebSocket exec (stdout
// readiness, k8s-protocols §5.3) arrives before client-go has registered its stream readers, a race
// on a loaded machine (client-go before kubernetes/kubernetes#131203). The message is empty, so
// nothing is lost; real output cannot arrive that early (the simulator holds the process back).
const DROPPED_READINESS =
  /^E\d{4} [\d:.]+\s+\d+ websocket\.go:\d+\] Unknown stream id 1, discarding message\n/m;

/**
 * kubectl's stderr without the "Unknown stream id 1, discarding message" line of up to `sessions`
 * WebSocket exec sessions: one line per session at most, so a second drop still shows.
 */
export function withoutDroppedReadinessLog(stderr: string, sessions = 1): string {
  let rest = stderr;
  for (let i = 0; i < sessions; i++) rest = rest.replace(DROPPED_READINESS, '');
  return rest;
}
