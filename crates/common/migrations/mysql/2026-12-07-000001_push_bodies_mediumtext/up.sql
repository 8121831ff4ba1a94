-- A push body (and a stored answer) may be as long as callback.max_body_bytes
-- (1 MiB by default); TEXT holds 64 KiB, so a longer one failed at storage
-- and was answered 5xx on every retry. MEDIUMTEXT holds 16 MiB. SQLite's
-- TEXT has no such limit. Rebuilds the three tables once.
ALTER TABLE `wxcallback_component` MODIFY `postbody` MEDIUMTEXT NOT NULL;
ALTER TABLE `wxcallback_biz` MODIFY `postbody` MEDIUMTEXT NOT NULL;
ALTER TABLE `wxcallback_dedup` MODIFY `response` MEDIUMTEXT NULL;
