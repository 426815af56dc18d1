-- +goose Up
-- The Knox test of a kommun (GET /api/v1/kommuner/{code}/near-repeat) reads one group's exact
-- incidents of one kommun in a period: without an index that is a sequential scan of incident
-- (about 2 s at 1 M incidents, the larger part of the test's time). The index holds only exact
-- incidents, the ones with a position.
SET LOCAL statement_timeout = 0;
CREATE INDEX incident_kommun_group_day_idx ON incident (kommun_code, category_group, occurred_day)
    WHERE precision = 'exact';

-- +goose Down
DROP INDEX incident_kommun_group_day_idx;
