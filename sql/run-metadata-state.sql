-- Does perfbench's run bookkeeping exist yet? (Reading commands never create it.)
SELECT to_regclass('perfbench_runs') IS NOT NULL AS runs,
       to_regclass('perfbench_index_intents') IS NOT NULL AS intents
