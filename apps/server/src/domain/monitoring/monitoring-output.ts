// Everything decide may answer: facts for the monitoring stream, and commands
// for the trace aggregate (the same commands the RPCs send, so the aggregate's
// rules and idempotence apply to the saga too).

import type { CloseOrphanedSpan, CloseTrace } from "../trace/trace-commands.js";
import type { MonitoringEvent } from "./monitoring-events.js";

export type MonitoringCommand = CloseOrphanedSpan | CloseTrace;

export type MonitoringOutput = MonitoringEvent | MonitoringCommand;
