-- The `at` the service gave each successful call that carries a caller id (purchase, promotion, charge, hold,
-- refund with an id). The engine compares a retried call's payload INCLUDING its `at` (SPEC 8), and a body carries
-- no `at`: the server's clock does. A retry therefore runs at the first call's `at`, read from here, so the engine
-- replays the first result (or answers E_IDEMPOTENCY_CONFLICT for another payload). Ids share one namespace per
-- wallet in the engine, so one row per (account, id); a row is written in the mutation's own transaction.
CREATE TABLE operation_times (
  account text NOT NULL REFERENCES accounts (account),
  id      text NOT NULL,
  at_ms   bigint NOT NULL,
  PRIMARY KEY (account, id)
);
