DROP TABLE IF EXISTS `proxy_routes`;
