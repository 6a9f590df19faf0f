-- The wallet service's tables: one row per account (settings, the engine's version-2 snapshot, a version that
-- changes with every committed mutation) and one row per ledger entry the engine handed over with takeLedger().

-- GiST equality on text, for the exclusion constraint on operation ids below. A trusted extension: a database owner
-- without superuser rights may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE accounts (
  account        text PRIMARY KEY CHECK (account ~ '^[A-Za-z0-9._:-]{1,128}$'),
  time_zone      text NOT NULL,
  retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 400),
  -- Bumped by every committed mutation; a process reuses its resident wallet only while this is unchanged.
  version        bigint NOT NULL CHECK (version >= 1),
  -- The `at` (epoch ms) of the last mutation applied: a server clock that steps back uses this instead.
  clock_ms       bigint,
  -- Wallet.toJSON() as text: opaque to the service, read back only by Wallet.fromJSON().
  snapshot       text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger (
  account      text NOT NULL REFERENCES accounts (account),
  seq          bigint NOT NULL CHECK (seq >= 1),
  at_ms        bigint NOT NULL,
  type         text NOT NULL CHECK (type IN ('grant', 'charge', 'refund', 'hold', 'capture', 'release', 'expire',
                                             'freeze', 'unfreeze')),
  kind         text,
  lot_id       text,
  credits      bigint NOT NULL,
  ref          text,
  feature      text,
  total        bigint NOT NULL CHECK (total >= 0),
  -- The account's retention (ms) copied into the row, so that the exclusion constraint below can name it.
  retention_ms bigint NOT NULL CHECK (retention_ms >= 86400000),
  PRIMARY KEY (account, seq)
);

-- The engine's idempotency, backed by the database. What is truly unique in the engine's ledger:
--  * A purchase or promotion id becomes its lot's id and stays taken for the wallet's life (SPEC 9), so the grant
--    of a purchased or promotion lot appears once per (account, lot id), ever. Engine-made lot ids are left out:
--    they come from kind and instant and a lot that left the wallet does not keep its id taken.
CREATE UNIQUE INDEX ledger_caller_lot_granted_once ON ledger (account, lot_id)
  WHERE type = 'grant' AND kind IN ('purchased', 'promotion');

--  * Charge and hold ids share one namespace, and an id may be used again only once its record has been forgotten,
--    i.e. more than retentionDays after the record's last change (which is at or after the operation itself). So
--    two opening rows (charge or hold) with the same ref are more than retention_ms apart. A hold closes once: at
--    most one capture row and one release row per hold, and the same retention argument spaces out reuses of its
--    id. A plain UNIQUE (account, type, ref) would be wrong twice over: a forgotten id is legitimately a new call
--    (SPEC 9), and a refund's ref names the charge, which may have several refunds (refund rows carry no id of
--    their own: the engine keeps refund ids in its records, within retention).
ALTER TABLE ledger ADD CONSTRAINT ledger_operation_once_per_retention EXCLUDE USING gist (
  account WITH =,
  (CASE WHEN type IN ('charge', 'hold') THEN 'open' ELSE type END) WITH =,
  ref WITH =,
  int8range(at_ms, at_ms + retention_ms, '[]') WITH &&
) WHERE (type IN ('charge', 'hold', 'capture', 'release') AND ref IS NOT NULL);
