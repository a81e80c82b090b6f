-- The ownership mark: perfbench drops only indexes that carry it (unless --force).
COMMENT ON INDEX {{index}} IS 'perfbench: created by perfbench index add'
