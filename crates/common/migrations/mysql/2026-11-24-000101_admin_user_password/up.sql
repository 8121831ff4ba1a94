-- Console passwords are stored as argon2id PHC strings (about 100 characters);
-- wxcomponent's column held a 32-character md5.
ALTER TABLE `user` MODIFY `password` VARCHAR(255) NOT NULL;
