-- Automatic updates (issue 4): subscriptions, the announced fact-base snapshot, feed state,
-- updates with their dedupe keys, and the delivery outbox. Times are ISO 8601 UTC text, except
-- scheduling times (`*_at_ts`), which are Unix seconds for cheap comparisons.

-- A channel or a person (by DM) that wants updates on some topics.
CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('channel', 'dm')),
    target_id     INTEGER NOT NULL,              -- channel id, or user id for a DM
    guild_id      INTEGER,
    created_by    INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    paused_reason TEXT,                          -- set when Discord refused delivery (403 / 404)
    paused_at     TEXT,
    UNIQUE (kind, target_id)
);

CREATE TABLE subscription_topics (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    topic           TEXT    NOT NULL,
    PRIMARY KEY (topic, subscription_id)
) WITHOUT ROWID;

-- The last announced version of each fact (content hash and what a person reads).
CREATE TABLE fact_snapshots (
    fact_id      TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    rendering    TEXT NOT NULL,                  -- JSON, see bot/core/updates/changes.py
    recorded_at  TEXT NOT NULL
);

-- Small key/value state of the update sources (e.g. when the baseline was recorded).
CREATE TABLE update_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One announcement: a fact-base change or a relevant news item.
CREATE TABLE updates (
    id         INTEGER PRIMARY KEY,
    source     TEXT    NOT NULL CHECK (source IN ('knowledge', 'news')),
    dedupe_key TEXT    NOT NULL UNIQUE,
    topics     TEXT    NOT NULL,                 -- comma-separated
    text       TEXT    NOT NULL,                 -- one rendered entry, without markup
    created_at TEXT    NOT NULL
);

-- Every key a news item is known by (guid, normalised link, normalised title): seen once, posted once.
CREATE TABLE news_seen (
    key       TEXT PRIMARY KEY,
    update_id INTEGER NOT NULL REFERENCES updates (id) ON DELETE CASCADE,
    feed      TEXT    NOT NULL
);

-- Poll state per configured feed (by name): conditional GET, backoff and failures.
CREATE TABLE feeds (
    name                 TEXT PRIMARY KEY,
    url                  TEXT    NOT NULL,
    etag                 TEXT,
    last_modified        TEXT,
    next_poll_at_ts      REAL    NOT NULL DEFAULT 0,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    total_failures       INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_error_at        TEXT,
    last_success_at      TEXT
);

-- One row per (update, destination). `batch` is the id of the first row of the digest the row is
-- bundled into; it is fixed before sending and used as the message nonce, so a resend after a
-- crash is the same message with the same nonce.
CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY,
    update_id          INTEGER NOT NULL REFERENCES updates (id) ON DELETE CASCADE,
    subscription_id    INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    status             TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    batch              INTEGER,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ts REAL    NOT NULL DEFAULT 0,
    last_error         TEXT,
    message_id         INTEGER,
    sent_at            TEXT,
    UNIQUE (update_id, subscription_id)
);
CREATE INDEX outbox_pending ON outbox (subscription_id, id) WHERE status = 'pending';
CREATE INDEX outbox_batch ON outbox (batch) WHERE status = 'pending';
