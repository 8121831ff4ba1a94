// 代理路由: the gateway routes operators edit and wxcomponent's single proxy setting.
import { $, esc, toast, api, table } from "../lib.js";

export default async function proxy(el) {
  el.innerHTML = `<section><h2>网关代理路由</h2><p class="muted">路径前缀 → 服务（网关通过 /inner/routes 获取，修改后自动生效）。</p>
    <div class="row"><input id="p-prefix" placeholder="/api/" size="16"><input id="p-upstream" placeholder="business 或 http://host:port" size="26">
    <label><input type="checkbox" id="p-strip"> 去掉前缀</label><button class="primary" id="p-add">添加</button></div><div id="p-list"></div></section>
    <section><h2>默认转发（wxcomponent 的单一代理配置）</h2>
    <div class="row"><label><input type="checkbox" id="p-open"> 开启</label><input id="p-port" placeholder="端口" size="8"><button class="primary" id="p-save">保存</button><span id="p-url" class="mono muted"></span></div></section>`;
  const load = async () => {
    const d = await api("GET", "/admin/proxy-routes");
    $("p-list").innerHTML = table([
      ["前缀", r => `<span class="mono">${esc(r.prefix)}</span>`], ["服务", r => `<span class="mono">${esc(r.upstream)}</span>`],
      ["去掉前缀", r => r.stripPrefix ? "是" : "否"], ["状态", r => r.open ? "开启" : "关闭"],
      ["", r => `<button class="plain" data-del="${r.id}">删除</button>`],
    ], d.routes);
    el.querySelectorAll("[data-del]").forEach(b => b.onclick = async () => {
      await api("DELETE", "/admin/proxy-route", undefined, {id: b.dataset.del}); load();
    });
    const c = await api("GET", "/admin/proxy");
    $("p-open").checked = c.open; $("p-port").value = c.port || ""; $("p-url").textContent = c.url || "";
  };
  $("p-add").onclick = async () => {
    await api("PUT", "/admin/proxy-route", {prefix: $("p-prefix").value.trim(), upstream: $("p-upstream").value.trim(), stripPrefix: $("p-strip").checked});
    load();
  };
  $("p-save").onclick = async () => {
    await api("POST", "/admin/proxy", {open: $("p-open").checked, port: Number($("p-port").value || 0)});
    toast("已保存"); load();
  };
  load().catch(() => {});
}
