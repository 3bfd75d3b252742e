-- The pathway list (GET /pathways, readmodels/queries.py `pathways`) is newest first. Without an
-- index in that order every page sorts all of a region's pathways (all 9,200 nationally for ops):
-- 3.7 ms of SQL per request at national scale, 0.03 ms with it (benchmarks, docs/benchmarks.md).
CREATE INDEX rm_pathways_started ON rm_pathways (started_at DESC, pathway_id);

-- Municipality staff list the pathways whose dialogue consent with them is given: find those
-- consents directly instead of scanning every consent.
CREATE INDEX rm_consents_shared ON rm_consents (counterpart) WHERE scope = 'dialogue' AND state = 'given';
