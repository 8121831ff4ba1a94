ALTER TABLE `wxcallback_dedup` MODIFY `response` TEXT NULL;
ALTER TABLE `wxcallback_biz` MODIFY `postbody` TEXT NOT NULL;
ALTER TABLE `wxcallback_component` MODIFY `postbody` TEXT NOT NULL;
