-- Exactly-once delivery beyond Discord's nonce window (issue 8).
-- `nonce` is random, fixed with the digest (the same for all its rows) and never derived from row ids,
-- so a fresh or restored database never reuses one; it is also the fingerprint (`ref`) in the message.
-- `maybe_sent_since_ts` is the start of the earliest attempt that may have reached Discord (a crash,
-- a timeout, a 5xx, an unreadable answer); NULL when no attempt can have created a message.
ALTER TABLE outbox ADD COLUMN nonce TEXT;
ALTER TABLE outbox ADD COLUMN maybe_sent_since_ts REAL;
