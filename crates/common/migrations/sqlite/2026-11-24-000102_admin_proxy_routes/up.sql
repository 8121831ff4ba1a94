-- Proxy rules the admin console edits and the gateway fetches from
-- GET /inner/routes: requests whose path starts with `prefix` go to `upstream`.
CREATE TABLE IF NOT EXISTS `proxy_routes` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `prefix` VARCHAR(191) NOT NULL, `upstream` VARCHAR(255) NOT NULL, `stripprefix` INT NOT NULL DEFAULT 0, `open` INT NOT NULL DEFAULT 1, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX IF NOT EXISTS `proxy_routes_prefix` ON `proxy_routes` (`prefix`);
CREATE TRIGGER IF NOT EXISTS `proxy_routes_touch_updatetime` AFTER UPDATE ON `proxy_routes` FOR EACH ROW WHEN NEW.`updatetime` = OLD.`updatetime` BEGIN UPDATE `proxy_routes` SET `updatetime` = CURRENT_TIMESTAMP WHERE `id` = NEW.`id`; END;
