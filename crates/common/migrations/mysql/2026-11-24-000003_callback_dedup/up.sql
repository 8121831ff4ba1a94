-- One row per push handled by the callback receiver, so WeChat's retries are
-- stored and handled once and get the first answer again.
CREATE TABLE IF NOT EXISTS `wxcallback_dedup` (`dedupkey` VARCHAR(191) NOT NULL, `response` TEXT NULL, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (`dedupkey`), INDEX (`createtime`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
