-- Migration 2: each store keeps the clocks of an IANA time zone, which sets its day for "today".
-- Stores made before it had none: they read as UTC, except the three demo stores (the seed's
-- names), which get the zones of their towns, as a fresh seed gives them.
ALTER TABLE stores ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
UPDATE stores SET time_zone = 'America/Los_Angeles' WHERE name = 'Santa Cruz Bikes';
UPDATE stores SET time_zone = 'America/New_York' WHERE name = 'Baldwin Bikes';
UPDATE stores SET time_zone = 'America/Chicago' WHERE name = 'Rowlett Bikes';
