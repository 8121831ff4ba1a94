-- Back to wxcomponent's width; fails while argon2id hashes are stored.
ALTER TABLE `user` MODIFY `password` VARCHAR(64) NOT NULL;
