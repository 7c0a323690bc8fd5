-- The stream version is the last event's (events_pkey), so appends write no second row per
-- request (group commit: 51% -> 62% of the raw insert ceiling, see BENCHMARKS.md).
DROP TABLE "streams" CASCADE;