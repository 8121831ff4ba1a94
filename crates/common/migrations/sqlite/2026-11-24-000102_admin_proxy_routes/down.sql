DROP TRIGGER IF EXISTS `proxy_routes_touch_updatetime`;
DROP TABLE IF EXISTS `proxy_routes`;
