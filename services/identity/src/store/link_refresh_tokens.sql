-- Each spent refresh token names the digest of the token that replaced it, so a refresh retried
-- after its reply was lost can be told from a copied token presented again: only the immediate
-- predecessor of a family's unused current token, within the grace period, is a retry. Tokens
-- spent before this name none, and presenting them again revokes their family as before.
ALTER TABLE refresh_tokens ADD COLUMN replaced_by TEXT;
