DROP TABLE IF EXISTS `authorizer_bindings`;
