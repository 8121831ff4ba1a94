-- Pushes the callback receiver refused (bad signature, failed decryption),
-- counted per minute (Unix seconds of the minute's start).
CREATE TABLE IF NOT EXISTS `wxc_push_refusals` (`minute` BIGINT NOT NULL PRIMARY KEY, `count` BIGINT NOT NULL DEFAULT 0);
