// 批量发版: one template released to many merchant mini programs as a
// campaign the admin works through on its own (commit → domains → privacy
// guide → audit → release), watched, paused and resumed here.
import { $, esc, time, toast, api, table } from "../lib.js";

const STATES = [
  ["", "全部"], ["pending", "待处理"], ["running", "进行中"], ["waiting_audit", "审核中"], ["released", "已发布"],
  ["done", "完成"], ["audit_rejected", "审核驳回"], ["failed", "失败"], ["cancelled", "已取消"],
];
const STATE_NAMES = Object.fromEntries(STATES);
const CAMPAIGN_STATES = {running: "运行中", paused: "已暂停", cancelled: "已取消", finished: "已结束"};
const lines = text => text.split(/[\s;,]+/).map(s => s.trim()).filter(Boolean);

function counts(c) {
  if (!c) return "";
  return `共 ${c.total} · 待处理 ${c.pending} · 进行中 ${c.running} · 审核中 ${c.waitingAudit} · 已发布 ${c.released} · 完成 ${c.done} · 驳回 ${c.rejected} · 失败 ${c.failed} · 取消 ${c.cancelled}`;
}

// The campaign's inputs as the API takes them; empty optional steps are left out.
function spec() {
  const body = {
    templateId: Number($("c-template").value),
    userVersion: $("c-version").value.trim(),
    userDesc: $("c-desc").value.trim(),
    extJson: JSON.parse($("c-ext").value || "{}"),
    autoRelease: $("c-release").checked,
  };
  const appids = lines($("c-appids").value);
  body.targets = appids.length ? {appids} : {all: true};
  const request = lines($("c-request").value);
  if (request.length) {
    body.serverDomain = {requestDomain: request, wsRequestDomain: lines($("c-ws").value), uploadDomain: lines($("c-upload").value), downloadDomain: lines($("c-download").value)};
  }
  const webview = lines($("c-webview").value);
  if (webview.length) body.webviewDomain = webview;
  const contact = $("c-contact").value.trim();
  if (contact) {
    const settingList = lines($("c-privacy-keys").value).map(key => ({privacyKey: key, privacyText: $("c-privacy-text").value.trim() || "用于提供服务"}));
    body.privacySetting = {privacyVer: 2, settingList, ownerSetting: {contactEmail: contact, noticeMethod: "弹窗"}};
  }
  return body;
}

export default async function campaigns(el) {
  el.innerHTML = `<section><h2>新建批量发版</h2>
      <p class="muted">同一个模板提交给多个授权小程序：提交代码 → 服务器域名 → 业务域名 → 隐私保护指引 → 提交审核 → 审核通过后发布。ext_json 中的 <span class="mono">$APPID$</span> 和 extAppid 会替换为各小程序的 appid。</p>
      <div class="row"><select id="c-template"></select><input id="c-version" placeholder="版本号 1.0.0" size="12"><input id="c-desc" placeholder="版本描述" size="24">
      <label><input type="checkbox" id="c-release" checked> 审核通过后自动发布</label></div>
      <div class="row"><textarea id="c-ext" rows="2" cols="70" class="mono">{"extAppid": "$APPID$", "ext": {}}</textarea></div>
      <div class="row"><textarea id="c-appids" rows="2" cols="70" class="mono" placeholder="appid 列表（留空 = 全部授权的代开发小程序）"></textarea></div>
      <div class="row"><input id="c-request" placeholder="request 域名 https://a.com" size="30"><input id="c-ws" placeholder="socket wss://a.com" size="22">
      <input id="c-upload" placeholder="upload https://" size="20"><input id="c-download" placeholder="download https://" size="20"></div>
      <div class="row"><input id="c-webview" placeholder="业务域名 https://h5.a.com" size="30"></div>
      <div class="row"><input id="c-privacy-keys" placeholder="隐私接口 key，如 Location;UserInfo" size="30"><input id="c-privacy-text" placeholder="用途说明" size="24">
      <input id="c-contact" placeholder="隐私联系邮箱（填写则设置隐私保护指引）" size="30"></div>
      <div class="row"><button class="primary" id="c-create">创建并开始</button></div></section>
    <section><h2>批量发版任务</h2><div id="c-list">加载中…</div></section>
    <div id="c-detail"></div>`;
  api("GET", "/admin/template-list").then(d => {
    $("c-template").innerHTML = (d.templateList || []).map(t => `<option value="${esc(t.templateId)}">${esc(t.templateId)} · ${esc(t.userVersion)} ${esc(t.userDesc)}</option>`).join("");
  }).catch(() => {});

  const load = async () => {
    const d = await api("GET", "/admin/campaigns", undefined, {offset: 0, limit: 50});
    $("c-list").innerHTML = table([
      ["ID", r => esc(r.id)], ["模板", r => esc(r.templateId)], ["版本", r => esc(r.userVersion)], ["状态", r => esc(CAMPAIGN_STATES[r.state] || r.state)],
      ["进度", r => esc(counts(r.counts))], ["创建时间", r => esc(time(r.createTime))],
      ["", r => `<button class="plain" data-open="${esc(r.id)}">查看</button>`],
    ], d.records);
    el.querySelectorAll("[data-open]").forEach(b => b.onclick = () => detail($("c-detail"), Number(b.dataset.open), load));
  };
  $("c-create").onclick = async () => {
    let body;
    try { body = spec(); } catch (e) { return toast("ext_json 不是合法的 JSON: " + e.message, true); }
    const target = body.targets.all ? "全部授权的代开发小程序" : `${body.targets.appids.length} 个小程序`;
    if (!confirm(`对${target}提交模板 ${body.templateId}（${body.userVersion}）${body.autoRelease ? "并在审核通过后发布" : ""}？`)) return;
    const d = await api("POST", "/admin/campaigns", body);
    toast(`已创建批量发版 #${d.id}`);
    await load();
    detail($("c-detail"), d.id, load);
  };
  load().catch(() => {});
}

async function detail(el, id, reloadList) {
  let page = 0;
  const limit = 50;
  el.innerHTML = `<section><h2>批量发版 #${esc(id)}</h2><div id="cd-head">加载中…</div>
      <div class="row"><button class="plain" id="cd-pause">暂停</button><button class="plain" id="cd-resume">继续</button>
      <button class="plain" id="cd-retry">重试失败的小程序</button><button class="plain" id="cd-cancel">取消</button><button class="plain" id="cd-refresh">刷新</button></div>
      <div class="row"><select id="cd-state">${STATES.map(([k, v]) => `<option value="${k}">${v}</option>`).join("")}</select>
      <button class="plain" id="cd-prev">上一页</button><span id="cd-page"></span><button class="plain" id="cd-next">下一页</button></div>
      <div id="cd-accounts">加载中…</div></section>`;
  const load = async () => {
    const [c, d] = await Promise.all([
      api("GET", "/admin/campaign", undefined, {id}),
      api("GET", "/admin/campaign-accounts", undefined, {id, state: $("cd-state").value, offset: page * limit, limit}),
    ]);
    $("cd-head").textContent = `${CAMPAIGN_STATES[c.state] || c.state} · 模板 ${c.templateId} · 版本 ${c.userVersion} · ${counts(c.counts)}`;
    $("cd-page").textContent = `第 ${page + 1} 页 / 共 ${d.total} 个`;
    $("cd-prev").disabled = page === 0;
    $("cd-next").disabled = (page + 1) * limit >= d.total;
    $("cd-accounts").innerHTML = table([
      ["appid", r => `<span class="mono">${esc(r.appid)}</span>`], ["名称", r => esc(r.nickName)],
      ["状态", r => esc(STATE_NAMES[r.state] || r.state)], ["步骤", r => esc(r.step)], ["尝试", r => esc(r.attempts)],
      ["审核单", r => esc(r.auditId || "")], ["微信错误", r => r.lastError ? `<span class="mono">${esc(r.lastErrcode ?? "")} ${esc(r.lastError)}</span>` : ""],
      ["更新时间", r => esc(time(r.updateTime))],
    ], d.records);
  };
  const action = (button, route, text, ask) => {
    $(button).onclick = async () => {
      if (ask && !confirm(ask)) return;
      await api("POST", route, {id});
      toast(text);
      load().catch(() => {});
      reloadList().catch(() => {});
    };
  };
  action("cd-pause", "/admin/campaign-pause", "已暂停");
  action("cd-resume", "/admin/campaign-resume", "已继续");
  action("cd-retry", "/admin/campaign-retry", "失败的小程序已重新排队");
  action("cd-cancel", "/admin/campaign-cancel", "已取消", "取消这个批量发版？尚未提交的小程序不再处理。");
  $("cd-refresh").onclick = () => load().catch(() => {});
  $("cd-state").onchange = () => { page = 0; load().catch(() => {}); };
  $("cd-prev").onclick = () => { page--; load().catch(() => {}); };
  $("cd-next").onclick = () => { page++; load().catch(() => {}); };
  load().catch(() => {});
  el.scrollIntoView({behavior: "smooth"});
}
