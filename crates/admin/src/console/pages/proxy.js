// 代理路由: the gateway routes operators edit and wxcomponent's single proxy setting.
import { $, esc, toast, api, table, t } from "../lib.js";

export default async function proxy(el) {
  el.innerHTML = `<section><h2>${t("网关代理路由", "Gateway proxy routes")}</h2><p class="muted">${t("路径前缀 → 服务（网关通过 /inner/routes 获取，修改后自动生效）。", "Path prefix → service (the gateway reads them from /inner/routes; changes take effect on their own).")}</p>
    <div class="row"><input id="p-prefix" placeholder="/api/" size="16"><input id="p-upstream" placeholder="${t("business 或 http://host:port", "business or http://host:port")}" size="26">
    <label><input type="checkbox" id="p-strip"> ${t("去掉前缀", "Strip prefix")}</label><button class="primary" id="p-add">${t("添加", "Add")}</button></div><div id="p-list"></div></section>
    <section><h2>${t("默认转发（wxcomponent 的单一代理配置）", "Default forwarding (wxcomponent's single proxy setting)")}</h2>
    <div class="row"><label><input type="checkbox" id="p-open"> ${t("开启", "On")}</label><input id="p-port" placeholder="${t("端口", "Port")}" size="8"><button class="primary" id="p-save">${t("保存", "Save")}</button><span id="p-url" class="mono muted"></span></div></section>`;
  const load = async () => {
    const d = await api("GET", "/admin/proxy-routes");
    $("p-list").innerHTML = table([
      [t("前缀", "Prefix"), r => `<span class="mono">${esc(r.prefix)}</span>`], [t("服务", "Service"), r => `<span class="mono">${esc(r.upstream)}</span>`],
      [t("去掉前缀", "Strip prefix"), r => r.stripPrefix ? t("是", "Yes") : t("否", "No")], [t("状态", "Status"), r => r.open ? t("开启", "On") : t("关闭", "Off")],
      ["", r => `<button class="plain" data-del="${r.id}">${t("删除", "Delete")}</button>`],
    ], d.routes);
    el.querySelectorAll("[data-del]").forEach(b => b.onclick = async () => {
      const r = d.routes.find(x => String(x.id) === b.dataset.del);
      if (!confirm(t(`删除路由 ${r ? r.prefix : ""}？网关下次拉取路由后不再转发。`, `Delete the route ${r ? r.prefix : ""}? The gateway stops forwarding it at its next poll.`))) return;
      await api("DELETE", "/admin/proxy-route", undefined, {id: b.dataset.del});
      toast(t("已删除", "Deleted")); load();
    });
    const c = await api("GET", "/admin/proxy");
    $("p-open").checked = c.open; $("p-port").value = c.port || ""; $("p-url").textContent = c.url || "";
  };
  $("p-add").onclick = async () => {
    await api("PUT", "/admin/proxy-route", {prefix: $("p-prefix").value.trim(), upstream: $("p-upstream").value.trim(), stripPrefix: $("p-strip").checked});
    toast(t("已添加", "Added")); load();
  };
  $("p-save").onclick = async () => {
    await api("POST", "/admin/proxy", {open: $("p-open").checked, port: Number($("p-port").value || 0)});
    toast(t("已保存", "Saved")); load();
  };
  load().catch(() => {});
}
