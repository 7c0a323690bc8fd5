-- Hand-written (drizzle-kit cannot express storage parameters): every append updates
-- its stream's row in `streams` (version, recorded_at; neither is indexed). Free room
-- on each page lets PostgreSQL make those HOT updates: the new row version stays on
-- the page and streams_pkey gets no new entry, where a full page would force a new
-- index entry per update and bloat the index until vacuum (measured: B-tree
-- bottom-up deletion was a visible part of the group commit's profile without it).
ALTER TABLE "streams" SET (fillfactor = 70);
