-- Accounts, login sessions and share links. Tokens (sessions, share links)
-- are stored only as their SHA-256: the database never holds a working link.

-- +goose Up
CREATE TABLE opsboard.users (
    id            bigserial PRIMARY KEY,
    email         text        NOT NULL UNIQUE CHECK (email = lower(email) AND email <> ''),
    role          text        NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE opsboard.sessions (
    token_hash bytea       PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES opsboard.users (id) ON DELETE CASCADE,
    -- the CSRF token every form of this session must carry
    csrf       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_user ON opsboard.sessions (user_id);
CREATE INDEX sessions_by_expiry ON opsboard.sessions (expires_at);

CREATE TABLE opsboard.share_links (
    id           bigserial PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE,
    kind         text        NOT NULL CHECK (kind IN ('dashboard', 'report')),
    target       text        NOT NULL,
    -- locked parameters: filter name -> value
    params       jsonb       NOT NULL DEFAULT '{}',
    label        text        NOT NULL DEFAULT '',
    created_by   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    use_count    bigint      NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE opsboard.share_links;
DROP TABLE opsboard.sessions;
DROP TABLE opsboard.users;
