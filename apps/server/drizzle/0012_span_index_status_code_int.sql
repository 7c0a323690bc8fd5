-- An OTLP span keeps a status code traceledger's enum does not know (OTLP lets receivers keep such
-- values), any int32: as a smallint, a code past 32767 (or below -32768) failed the ListTraces
-- projector's slice forever, and no trace stored after it was ever listed. Widening the column
-- rewrites span_index and its indexes inside the start-up migration's transaction: on a large
-- span_index the table is locked (ListTraces waits, the projector too) while it rewrites. Replicas
-- of the previous release keep working during a rolling upgrade: their smallints fit an integer.
ALTER TABLE "span_index" ALTER COLUMN "status_code" SET DATA TYPE integer;
