-- Run it from Discord (issue 11): per-server settings, feeds added from Discord, where and how update
-- posts go (threads, forums, a role to mention, embeds), and curators' views scoped to their server.

-- Per-server settings; NULL means config.yaml's default.
CREATE TABLE server_settings (
    guild_id           INTEGER PRIMARY KEY,
    questions_only     INTEGER CHECK (questions_only IN (0, 1)),
    cooldown_rate      INTEGER,
    cooldown_seconds   REAL,
    curator_channel_id INTEGER,
    curator_role_id    INTEGER,
    notice_after       INTEGER,                  -- a curator notice when a question was declined this often
    watched_custom     INTEGER NOT NULL DEFAULT 0, -- 1: server_watched_channels replace config.yaml's list
    updated_by         INTEGER,
    updated_at         TEXT
);

CREATE TABLE server_watched_channels (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
) WITHOUT ROWID;

-- Feeds added with /feeds add: they belong to the server and post to its subscriptions. Their poll
-- state is the `feeds` row named 'server:<id>'.
CREATE TABLE server_feeds (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    backfill   INTEGER NOT NULL DEFAULT 0,       -- the first poll posts at most this many newest items
    created_by INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (guild_id, url),
    UNIQUE (guild_id, name)
);

-- Where a channel subscription posts (a text channel, a thread, or a forum: one post per digest), and
-- the role it mentions (never @everyone).
ALTER TABLE subscriptions ADD COLUMN channel_type TEXT NOT NULL DEFAULT 'text'
    CHECK (channel_type IN ('text', 'thread', 'forum'));
ALTER TABLE subscriptions ADD COLUMN role_id INTEGER;

-- An update's parts for an embed (JSON: title, url, source, why, summary), and the server it is for
-- (NULL: every subscriber).
ALTER TABLE updates ADD COLUMN card TEXT;
ALTER TABLE updates ADD COLUMN guild_id INTEGER;

-- Curators see their own server's declined questions and votes (still no user ids).
ALTER TABLE declined_questions ADD COLUMN guild_id INTEGER;
ALTER TABLE answer_feedback ADD COLUMN guild_id INTEGER;
CREATE INDEX declined_questions_guild ON declined_questions (guild_id, normalised);

-- Curator notices already posted: once per question per threshold.
CREATE TABLE decline_notices (
    guild_id   INTEGER NOT NULL,
    normalised TEXT    NOT NULL,
    threshold  INTEGER NOT NULL,
    noticed_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, normalised, threshold)
) WITHOUT ROWID;
