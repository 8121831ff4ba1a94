-- The business counter of the Cloud Run templates (table `Counters`), one row.
CREATE TABLE IF NOT EXISTS `Counters` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `count` INT NOT NULL DEFAULT 0, `createdAt` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `updatedAt` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TRIGGER IF NOT EXISTS `Counters_touch_updatedAt` AFTER UPDATE ON `Counters` FOR EACH ROW WHEN NEW.`updatedAt` = OLD.`updatedAt` BEGIN UPDATE `Counters` SET `updatedAt` = CURRENT_TIMESTAMP WHERE `id` = NEW.`id`; END;
INSERT OR IGNORE INTO `Counters` (`id`, `count`) VALUES (1, 0);
