// The format of stored trace view snapshots. A snapshot is derived data: readers
// ignore rows of another format (and write theirs in their place), so an old
// snapshot costs one slower read, never a wrong answer. Bump this whenever the
// view fold (../projections/trace-view.ts) or the encoding in this folder
// changes what a snapshot of the same events would hold. A new event type is such a
// change: replicas that do not know it skip it (trace-view-state.ts, SKIPPED), and
// their snapshots must not be read by the replicas that do.
// 3: SpanEnded.name renames the span (de3df1c).
// 4: a trace without a root here is named by its earliest span, the lowest span id among equal starts.
// 5: spans carry the event and link counts their reporter dropped.
// 6: spans carry their scope's version and attributes, schema URLs and the resource's dropped count.
export const VIEW_FORMAT = 6;
