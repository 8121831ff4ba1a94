-- One row per push handled by the callback receiver, so WeChat's retries are
-- stored and handled once and get the first answer again.
CREATE TABLE IF NOT EXISTS `wxcallback_dedup` (`dedupkey` VARCHAR(191) NOT NULL PRIMARY KEY, `response` TEXT NULL, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX IF NOT EXISTS `wxcallback_dedup_createtime` ON `wxcallback_dedup` (`createtime`);
