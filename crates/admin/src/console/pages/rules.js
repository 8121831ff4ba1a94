// 转发规则: message-forward rules (add, switch, test, delete).
import { $, esc, toast, api, table, t } from "../lib.js";

export default async function rules(el) {
  el.innerHTML = `<section><h2>${t("消息转发规则", "Message forwarding rules")}</h2>
    <div class="row"><input id="f-name" placeholder="${t("名称", "Name")}" size="10"><input id="f-info" placeholder="${t("infoType（授权事件）", "infoType (authorization events)")}" size="16">
    <input id="f-msg" placeholder="${t("msgType（消息）", "msgType (messages)")}" size="12"><input id="f-event" placeholder="event" size="12">
    <input id="f-port" placeholder="${t("端口", "Port")}" size="6"><input id="f-url" placeholder="${t("或 http://host:port", "or http://host:port")}" size="18"><input id="f-path" placeholder="${t("路径 /path/$APPID$", "Path /path/$APPID$")}" size="18">
    <select id="f-format"><option value="">JSON</option><option value="xml">XML</option></select><button class="primary" id="f-add">${t("添加", "Add")}</button></div>
    <div id="f-list"></div></section>`;
  const load = async () => {
    const d = await api("GET", "/admin/callback-proxy-rule-list", undefined, {offset: 0, limit: 999});
    $("f-list").innerHTML = table([
      [t("名称", "Name"), r => esc(r.name)], ["infoType", r => esc(r.infoType)], ["msgType", r => esc(r.msgType)], ["event", r => esc(r.event)],
      [t("目标", "Target"), r => `<span class="mono">${r.data.url ? esc(r.data.url) : ":" + esc(r.data.port)}${esc(r.data.path)}</span>`],
      [t("格式", "Format"), r => r.data.format === "xml" ? "XML" : "JSON"], [t("状态", "Status"), r => r.open ? t("开启", "On") : t("关闭", "Off")],
      ["", r => `<button class="plain" data-toggle="${r.id}">${r.open ? t("关闭", "Turn off") : t("开启", "Turn on")}</button> <button class="plain" data-test="${r.id}">${t("测试", "Test")}</button> <button class="plain" data-del="${r.id}">${t("删除", "Delete")}</button>`],
    ], d.rules);
    const byId = id => d.rules.find(r => String(r.id) === id);
    el.querySelectorAll("[data-toggle]").forEach(b => b.onclick = async () => {
      const r = byId(b.dataset.toggle);
      await api("POST", "/admin/callback-proxy-rule", {...r, open: r.open ? 0 : 1});
      toast(r.open ? t("已关闭", "Turned off") : t("已开启", "Turned on")); load();
    });
    el.querySelectorAll("[data-test]").forEach(b => b.onclick = async () => {
      const answer = await api("POST", "/admin/callback-test", {id: Number(b.dataset.test)});
      toast(t("目标回复: ", "Target replied: ") + String(answer).slice(0, 200));
    });
    el.querySelectorAll("[data-del]").forEach(b => b.onclick = async () => {
      if (!confirm(t("删除该规则？", "Delete this rule?"))) return;
      await api("DELETE", "/admin/callback-proxy-rule", undefined, {id: b.dataset.del});
      toast(t("已删除", "Deleted")); load();
    });
  };
  $("f-add").onclick = async () => {
    await api("PUT", "/admin/callback-proxy-rule", {
      name: $("f-name").value, infoType: $("f-info").value.trim(), msgType: $("f-msg").value.trim(), event: $("f-event").value.trim(),
      open: 1, data: {port: Number($("f-port").value || 0), url: $("f-url").value.trim(), path: $("f-path").value.trim(), format: $("f-format").value},
    });
    toast(t("已添加", "Added")); load();
  };
  load().catch(() => {});
}
