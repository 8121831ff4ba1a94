-- SQLite does not enforce VARCHAR widths: argon2id hashes fit as they are.
-- Kept so both backends carry the same migration names.
SELECT 1;
