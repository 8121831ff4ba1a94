// 转发规则: message-forward rules (add, switch, test, delete).
import { $, esc, toast, api, table } from "../lib.js";

export default async function rules(el) {
  el.innerHTML = `<section><h2>消息转发规则</h2>
    <div class="row"><input id="f-name" placeholder="名称" size="10"><input id="f-info" placeholder="infoType（授权事件）" size="16">
    <input id="f-msg" placeholder="msgType（消息）" size="12"><input id="f-event" placeholder="event" size="12">
    <input id="f-port" placeholder="端口" size="6"><input id="f-url" placeholder="或 http://host:port" size="18"><input id="f-path" placeholder="路径 /path/$APPID$" size="18">
    <select id="f-format"><option value="">JSON</option><option value="xml">XML</option></select><button class="primary" id="f-add">添加</button></div>
    <div id="f-list"></div></section>`;
  const load = async () => {
    const d = await api("GET", "/admin/callback-proxy-rule-list", undefined, {offset: 0, limit: 999});
    $("f-list").innerHTML = table([
      ["名称", r => esc(r.name)], ["infoType", r => esc(r.infoType)], ["msgType", r => esc(r.msgType)], ["event", r => esc(r.event)],
      ["目标", r => `<span class="mono">${r.data.url ? esc(r.data.url) : ":" + esc(r.data.port)}${esc(r.data.path)}</span>`],
      ["格式", r => r.data.format === "xml" ? "XML" : "JSON"], ["状态", r => r.open ? "开启" : "关闭"],
      ["", r => `<button class="plain" data-toggle="${r.id}">${r.open ? "关闭" : "开启"}</button> <button class="plain" data-test="${r.id}">测试</button> <button class="plain" data-del="${r.id}">删除</button>`],
    ], d.rules);
    const byId = id => d.rules.find(r => String(r.id) === id);
    el.querySelectorAll("[data-toggle]").forEach(b => b.onclick = async () => {
      const r = byId(b.dataset.toggle);
      await api("POST", "/admin/callback-proxy-rule", {...r, open: r.open ? 0 : 1});
      load();
    });
    el.querySelectorAll("[data-test]").forEach(b => b.onclick = async () => {
      const answer = await api("POST", "/admin/callback-test", {id: Number(b.dataset.test)});
      toast("目标回复: " + String(answer).slice(0, 200));
    });
    el.querySelectorAll("[data-del]").forEach(b => b.onclick = async () => {
      if (!confirm("删除该规则？")) return;
      await api("DELETE", "/admin/callback-proxy-rule", undefined, {id: b.dataset.del});
      load();
    });
  };
  $("f-add").onclick = async () => {
    await api("PUT", "/admin/callback-proxy-rule", {
      name: $("f-name").value, infoType: $("f-info").value.trim(), msgType: $("f-msg").value.trim(), event: $("f-event").value.trim(),
      open: 1, data: {port: Number($("f-port").value || 0), url: $("f-url").value.trim(), path: $("f-path").value.trim(), format: $("f-format").value},
    });
    toast("已添加"); load();
  };
  load().catch(() => {});
}
