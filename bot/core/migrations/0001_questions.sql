-- Questions the bot declined (no user ids), and helpful / not helpful feedback on answers.
CREATE TABLE declined_questions (
    id              INTEGER PRIMARY KEY,
    question        TEXT    NOT NULL,
    normalised      TEXT    NOT NULL,
    asked_at        TEXT    NOT NULL,              -- ISO 8601 UTC
    best_fact_id    TEXT,
    best_confidence REAL    NOT NULL DEFAULT 0
);
CREATE INDEX declined_questions_normalised ON declined_questions (normalised);

CREATE TABLE answer_feedback (
    id          INTEGER PRIMARY KEY,
    fact_id     TEXT    NOT NULL,
    question    TEXT    NOT NULL,
    helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    created_at  TEXT    NOT NULL
);
CREATE INDEX answer_feedback_fact ON answer_feedback (fact_id);
