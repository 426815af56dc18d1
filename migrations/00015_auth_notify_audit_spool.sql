-- +goose Up
-- Issue 13. 1) Every change that can end a credential's validity is announced on the channel
-- lagesbild_auth, so servers that cache verified tokens and sessions drop them at once: a
-- revoked or changed token ("token:<id>"), a disabled or changed user and any ended session
-- ("user:<id>"), and a truncation of either table (anything else: drop everything). NOTIFY is
-- transactional: it is delivered when the change commits, whichever process or tool made it.
-- 2) audit_spool_position records how far each server's local audit spool (rows written to disk
-- while the database was unreachable) has been replayed into audit_log, in the same transaction
-- as the rows, so a replay interrupted at any point resumes without a row lost or written twice.

-- +goose StatementBegin
CREATE FUNCTION auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('lagesbild_auth', 'all');
    ELSE
        PERFORM pg_notify('lagesbild_auth', TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER api_token_auth_notify
    AFTER UPDATE OF token_hash, role, scope, layers, max_res, expires_at, revoked_at OR DELETE ON api_token
    FOR EACH ROW EXECUTE FUNCTION auth_notify('token', 'id');
CREATE TRIGGER app_user_auth_notify
    AFTER UPDATE OF username, password_hash, role, scope, demo, disabled_at OR DELETE ON app_user
    FOR EACH ROW EXECUTE FUNCTION auth_notify('user', 'id');
CREATE TRIGGER user_session_auth_notify
    AFTER UPDATE OR DELETE ON user_session
    FOR EACH ROW EXECUTE FUNCTION auth_notify('user', 'user_id');
CREATE TRIGGER api_token_auth_notify_truncate AFTER TRUNCATE ON api_token
    FOR EACH STATEMENT EXECUTE FUNCTION auth_notify();
CREATE TRIGGER app_user_auth_notify_truncate AFTER TRUNCATE ON app_user
    FOR EACH STATEMENT EXECUTE FUNCTION auth_notify();
CREATE TRIGGER user_session_auth_notify_truncate AFTER TRUNCATE ON user_session
    FOR EACH STATEMENT EXECUTE FUNCTION auth_notify();

CREATE TABLE audit_spool_position (
    spool_id    text PRIMARY KEY,          -- random id of one spool file
    replayed    bigint NOT NULL,           -- the highest sequence number in audit_log
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE audit_spool_position;
DROP TRIGGER api_token_auth_notify ON api_token;
DROP TRIGGER app_user_auth_notify ON app_user;
DROP TRIGGER user_session_auth_notify ON user_session;
DROP TRIGGER api_token_auth_notify_truncate ON api_token;
DROP TRIGGER app_user_auth_notify_truncate ON app_user;
DROP TRIGGER user_session_auth_notify_truncate ON user_session;
DROP FUNCTION auth_notify();
