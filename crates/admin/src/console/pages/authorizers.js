// 授权帐号: the stored authorizers, paged and searchable, and the pull from WeChat;
// 业务绑定: the business ids the operator's page bound (POST /inner/bindings), unbindable.
import { $, esc, time, toast, api, table } from "../lib.js";

export default async function authorizers(el, page = 0) {
  const limit = 15;
  el.innerHTML = `<section><h2>授权帐号</h2>
    <div class="row"><input id="a-appid" placeholder="按 appid 查找" size="28"><button class="plain" id="a-search">查找</button>
    <button class="primary" id="a-pull">从微信拉取全部授权帐号</button></div><div id="a-list" class="muted">加载中…</div>
    <div class="row" style="margin-top:10px"><button class="plain" id="a-prev">上一页</button><span id="a-page"></span><button class="plain" id="a-next">下一页</button></div></section>
    <section><h2>业务绑定</h2>
    <div class="row"><input id="b-biz" placeholder="按业务 id 查找" size="20"><input id="b-appid" placeholder="按 appid 查找" size="24"><button class="plain" id="b-search">查找</button></div>
    <div id="b-list" class="muted">加载中…</div></section>`;
  const STATE = {bound: "已绑定", unauthorized: "已取消授权"};
  const bindings = async () => {
    const d = await api("GET", "/admin/bindings", undefined, {offset: 0, limit: 20, bizId: $("b-biz").value.trim(), appid: $("b-appid").value.trim()});
    $("b-list").innerHTML = table([
      ["业务 id", r => `<span class="mono">${esc(r.bizId)}</span>`],
      ["appid", r => `<span class="mono">${esc(r.appid)}</span>`],
      ["状态", r => esc(STATE[r.state] ?? r.state)],
      ["绑定时间", r => esc(time(r.createTime))],
      ["更新时间", r => esc(time(r.updateTime))],
      ["", r => `<button class="plain" data-unbind="${esc(r.bizId)}">解除绑定</button>`],
    ], d.records);
    el.querySelectorAll("[data-unbind]").forEach(b => b.onclick = async () => {
      if (!confirm(`解除业务 id ${b.dataset.unbind} 的绑定？（帐号的授权不变）`)) return;
      await api("POST", "/admin/unbind", {bizId: b.dataset.unbind});
      toast("已解除绑定");
      bindings().catch(() => {});
    });
  };
  $("b-search").onclick = () => { bindings().catch(() => {}); };
  bindings().catch(() => {});
  const load = async () => {
    const d = await api("GET", "/admin/authorizer-list", undefined, {offset: page * limit, limit, appid: $("a-appid").value.trim()});
    $("a-page").textContent = `第 ${page + 1} 页 / 共 ${d.total} 个`;
    $("a-list").innerHTML = table([
      ["appid", r => `<span class="mono">${esc(r.appid)}</span>`],
      ["名称", r => esc(r.nickName)],
      ["类型", r => r.appType === 0 ? "小程序" : "公众号"],
      ["主体", r => esc(r.principalName)],
      ["授权时间", r => esc(time(r.authTime))],
      ["权限集", r => esc(r.funcInfo)],
      ["", r => `<button class="plain" data-token="${esc(r.appid)}">获取 token</button>`],
    ], d.records);
    el.querySelectorAll("[data-token]").forEach(b => b.onclick = async () => {
      const t = await api("GET", "/admin/authorizer-access-token", undefined, {appid: b.dataset.token});
      prompt("authorizer_access_token", t.token);
    });
    $("a-prev").disabled = page === 0;
    $("a-next").disabled = (page + 1) * limit >= d.total;
  };
  $("a-search").onclick = () => { page = 0; load(); };
  $("a-prev").onclick = () => { page--; load(); };
  $("a-next").onclick = () => { page++; load(); };
  $("a-pull").onclick = async () => {
    const d = await api("POST", "/admin/pull-authorizer-list", {});
    toast(`已拉取 ${d.total} 个，移除 ${d.removed} 个`);
    load();
  };
  load().catch(() => {});
}
