-- Pushes the callback receiver refused (bad signature, failed decryption),
-- counted per minute (Unix seconds of the minute's start).
CREATE TABLE IF NOT EXISTS `wxc_push_refusals` (`minute` BIGINT NOT NULL, `count` BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (`minute`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
