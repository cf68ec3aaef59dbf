-- Operations (issue 10): the running bot's heartbeat, one row, read by `tariffbot health`.
-- Times are Unix seconds.
CREATE TABLE heartbeat (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    pid             INTEGER NOT NULL,
    started_at_ts   REAL    NOT NULL,
    beat_at_ts      REAL    NOT NULL,             -- when the bot last wrote this row
    connected       INTEGER NOT NULL,             -- 1 while the gateway is connected and ready
    connected_at_ts REAL,                         -- the last beat that found it connected
    guilds          INTEGER NOT NULL DEFAULT 0,
    latency_ms      REAL,                         -- gateway heartbeat round trip; NULL when unknown
    questions       INTEGER NOT NULL DEFAULT 0,   -- questions answered since the start
    stopped_at_ts   REAL                          -- set by a graceful stop
);
