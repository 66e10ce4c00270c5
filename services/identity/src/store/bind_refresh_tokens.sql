-- Each refresh token is bound to the session key its family was issued to (base64url): a
-- refresh must be signed by it. Tokens issued before this have none and are refused, so their
-- sessions log in again.
ALTER TABLE refresh_tokens ADD COLUMN session_key TEXT;
