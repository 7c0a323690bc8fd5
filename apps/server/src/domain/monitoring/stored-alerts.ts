// The alert events a new leader reads back from the monitoring stream when it
// rebuilds the saga (saga-runner.ts): the log replayed up to the saved
// checkpoint, then the stream folded over it, then the rest of the log read.
//
// Most alerts are about one span or trace, and folding them at once is right:
// what a live tick raised (a slow span still running) is known, and their ends
// are tied to that span's. Error-rate and anomaly alerts are about a window or a
// baseline, and the log alone decides them, at their own place in it (whatever
// the ticks: error-rate-rules.ts, anomaly-rules.ts). The stream can hold some
// that the replay has not reached: the old leader stored them and died (or lost
// its lease) before its checkpoint moved past the spans that decided them.
// Folded at the checkpoint, a raise from after it would be judged by the spans
// before it (and resolved there, before it was even raised, while the rate was
// still climbing); a resolution from after it would leave the spans before it
// unwatched (their errors would open a second episode, then resolve it). So a
// stored statistic event the replay has not decided is held: when the saga
// decides it again (same id), the stored one was its copy and the hold ends
// (monitoring-state.ts); what is still held once the log has been read to its
// end (a change of config or rules between the two leaders) is folded then.
// A raise and its resolution that the replay has neither open nor held are
// dropped together: both were before the checkpoint, or the log decides both.

import type { AlertSubject, MonitoringEvent } from "./monitoring-events.js";
import { evolveMonitoring, unraiseAlert, type MonitoringState, type StatisticAlertEvent } from "./monitoring-state.js";

/** Folds one stored alert event into a state rebuilt by replay, or holds it (see above). */
export function foldStoredAlert(state: MonitoringState, event: MonitoringEvent): void {
  if (event.kind !== "error_rate" && event.kind !== "latency_anomaly") {
    evolveMonitoring(state, event);
    return;
  }
  const id = event.alertId;
  if (event.type === "AlertRaised") {
    // Open in the replay: it raised it too, and folding it again would change nothing.
    if (!state.openAlerts.has(id)) state.heldAlerts.set(id, event);
    return;
  }
  if (state.heldAlerts.get(id)?.type === "AlertRaised") {
    // Raised and resolved where the replay has no such alert open: both before the
    // checkpoint (the replay did the same), or both after it (the log decides both again).
    state.heldAlerts.delete(id);
  } else if (state.openAlerts.has(id)) {
    // Open in the replay: resolved after the checkpoint, or by a tick the replay has not given yet.
    state.heldAlerts.set(id, event as StatisticAlertEvent);
  }
  // Otherwise the replay raised and resolved it already.
}

/**
 * The rebuilt saga has read the log to its end: what it still holds, the log did not
 * decide again, and is folded now as the stream has it.
 */
export function adoptStoredAlerts(state: MonitoringState): void {
  if (state.heldAlerts.size === 0) return;
  const held = [...state.heldAlerts.values()];
  state.heldAlerts.clear();
  for (const event of held) {
    if (event.type === "AlertRaised" || state.openAlerts.has(event.alertId)) evolveMonitoring(state, event);
  }
}

/**
 * Alerts a rebuilt state holds open, or holds a stored raise of, whose raise is not in the
 * stream: retention deleted it with its resolution (it deletes only resolved alerts), or the
 * replay decided a raise no leader stored (one died between moving its checkpoint and storing
 * its tick's alerts; another configuration before). Each is let go as if never raised, so the
 * state holds the stream's open alerts and the rules decide again what they still say: a span
 * still running and slow is raised again at the next tick, with the same id, and stored; an
 * ended one's alert is gone with it. Never resolved: no resolution is stored for a raise the
 * stream does not have.
 */
export function forgetAlertsNotStored(state: MonitoringState, alertIds: Iterable<string>): void {
  const subjects = new Set<string>();
  for (const alertId of alertIds) {
    if (state.heldAlerts.get(alertId)?.type === "AlertRaised") state.heldAlerts.delete(alertId);
    const open = state.openAlerts.get(alertId);
    if (!open) continue;
    if (open.kind === "error_rate" || open.kind === "latency_anomaly") subjects.add(statisticKey(open.kind, open.subject));
    unraiseAlert(state, open);
  }
  // A statistic alert let go (decided by a replay under other settings than the stored one's)
  // leaves its subject free: the stream's own episode there, held until the log decides it
  // again, is the open one now. Left held, the next errors would open a second episode.
  if (subjects.size === 0) return;
  for (const held of [...state.heldAlerts.values()]) {
    if (held.type === "AlertRaised" && subjects.has(statisticKey(held.kind, held.subject))) evolveMonitoring(state, held);
  }
}

function statisticKey(kind: string, subject: AlertSubject): string {
  return subject.type === "operation" ? `${kind}\u0000${subject.service}\u0000${subject.operation}` : `${kind}\u0000${subject.type}\u0000${subject.service}`;
}
