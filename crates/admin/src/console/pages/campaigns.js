// 批量发版: one template released to many merchant mini programs as a
// campaign the admin works through on its own (commit → domains → privacy
// guide → audit → release), watched, paused and resumed here.
import { $, esc, time, toast, api, table, t } from "../lib.js";

const STATES = [
  ["", t("全部", "All")], ["pending", t("待处理", "Pending")], ["running", t("进行中", "In progress")], ["waiting_audit", t("审核中", "Under review")],
  ["released", t("已发布", "Released")], ["done", t("完成", "Done")], ["audit_rejected", t("审核驳回", "Rejected in review")], ["failed", t("失败", "Failed")],
  ["cancelled", t("已取消", "Cancelled")],
];
const STATE_NAMES = Object.fromEntries(STATES);
const CAMPAIGN_STATES = {running: t("运行中", "Running"), paused: t("已暂停", "Paused"), cancelled: t("已取消", "Cancelled"), finished: t("已结束", "Finished")};
const lines = text => text.split(/[\s;,]+/).map(s => s.trim()).filter(Boolean);

function counts(c) {
  if (!c) return "";
  return t(`共 ${c.total} · 待处理 ${c.pending} · 进行中 ${c.running} · 审核中 ${c.waitingAudit} · 已发布 ${c.released} · 完成 ${c.done} · 驳回 ${c.rejected} · 失败 ${c.failed} · 取消 ${c.cancelled}`,
    `${c.total} in all · ${c.pending} pending · ${c.running} in progress · ${c.waitingAudit} under review · ${c.released} released · ${c.done} done · ${c.rejected} rejected · ${c.failed} failed · ${c.cancelled} cancelled`);
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
  el.innerHTML = `<section><h2>${t("新建批量发版", "New release campaign")}</h2>
      <p class="muted">${t(`同一个模板提交给多个授权小程序：提交代码 → 服务器域名 → 业务域名 → 隐私保护指引 → 提交审核 → 审核通过后发布。ext_json 中的 <span class="mono">$APPID$</span> 和 extAppid 会替换为各小程序的 appid。`,
        `One template committed to many authorized mini programs: commit code → server domains → web-view domains → privacy guide → submit for review → release once approved. <span class="mono">$APPID$</span> and extAppid in ext_json are replaced with each mini program's appid.`)}</p>
      <div class="row"><select id="c-template"></select><input id="c-version" placeholder="${t("版本号 1.0.0", "Version 1.0.0")}" size="12"><input id="c-desc" placeholder="${t("版本描述", "Version description")}" size="24">
      <label><input type="checkbox" id="c-release" checked> ${t("审核通过后自动发布", "Release automatically once approved")}</label></div>
      <div class="row"><textarea id="c-ext" rows="2" cols="70" class="mono">{"extAppid": "$APPID$", "ext": {}}</textarea></div>
      <div class="row"><textarea id="c-appids" rows="2" cols="70" class="mono" placeholder="${t("appid 列表（留空 = 全部授权的代开发小程序）", "appid list (empty = every authorized managed mini program)")}"></textarea></div>
      <div class="row"><input id="c-request" placeholder="${t("request 域名 https://a.com", "request domain https://a.com")}" size="30"><input id="c-ws" placeholder="socket wss://a.com" size="22">
      <input id="c-upload" placeholder="upload https://" size="20"><input id="c-download" placeholder="download https://" size="20"></div>
      <div class="row"><input id="c-webview" placeholder="${t("业务域名 https://h5.a.com", "Web-view domain https://h5.a.com")}" size="30"></div>
      <div class="row"><input id="c-privacy-keys" placeholder="${t("隐私接口 key，如 Location;UserInfo", "Privacy API keys, e.g. Location;UserInfo")}" size="30"><input id="c-privacy-text" placeholder="${t("用途说明", "Purpose")}" size="24">
      <input id="c-contact" placeholder="${t("隐私联系邮箱（填写则设置隐私保护指引）", "Privacy contact email (if filled in, the privacy guide is set)")}" size="30"></div>
      <div class="row"><button class="primary" id="c-create">${t("创建并开始", "Create and start")}</button></div></section>
    <section><h2>${t("批量发版任务", "Release campaigns")}</h2><div id="c-list">${t("加载中…", "Loading…")}</div></section>
    <div id="c-detail"></div>`;
  api("GET", "/admin/template-list").then(d => {
    $("c-template").innerHTML = (d.templateList || []).map(tpl => `<option value="${esc(tpl.templateId)}">${esc(tpl.templateId)} · ${esc(tpl.userVersion)} ${esc(tpl.userDesc)}</option>`).join("");
  }).catch(() => {});

  const load = async () => {
    const d = await api("GET", "/admin/campaigns", undefined, {offset: 0, limit: 50});
    $("c-list").innerHTML = table([
      ["ID", r => esc(r.id)], [t("模板", "Template"), r => esc(r.templateId)], [t("版本", "Version"), r => esc(r.userVersion)], [t("状态", "Status"), r => esc(CAMPAIGN_STATES[r.state] || r.state)],
      [t("进度", "Progress"), r => esc(counts(r.counts))], [t("创建时间", "Created"), r => esc(time(r.createTime))],
      ["", r => `<button class="plain" data-open="${esc(r.id)}">${t("查看", "View")}</button>`],
    ], d.records);
    el.querySelectorAll("[data-open]").forEach(b => b.onclick = () => detail($("c-detail"), Number(b.dataset.open), load));
  };
  $("c-create").onclick = async () => {
    let body;
    try { body = spec(); } catch (e) { return toast(t("ext_json 不是合法的 JSON: ", "ext_json is not valid JSON: ") + e.message, true); }
    const target = body.targets.all ? t("全部授权的代开发小程序", "every authorized managed mini program") : t(`${body.targets.appids.length} 个小程序`, `${body.targets.appids.length} mini programs`);
    if (!confirm(t(`对${target}提交模板 ${body.templateId}（${body.userVersion}）${body.autoRelease ? "并在审核通过后发布" : ""}？`,
      `Commit template ${body.templateId} (${body.userVersion}) to ${target}${body.autoRelease ? " and release once approved" : ""}?`))) return;
    const d = await api("POST", "/admin/campaigns", body);
    toast(t(`已创建批量发版 #${d.id}`, `Release campaign #${d.id} created`));
    await load();
    detail($("c-detail"), d.id, load);
  };
  load().catch(() => {});
}

async function detail(el, id, reloadList) {
  let page = 0;
  const limit = 50;
  el.innerHTML = `<section><h2>${t("批量发版", "Release campaign")} #${esc(id)}</h2><div id="cd-head">${t("加载中…", "Loading…")}</div>
      <div class="row"><button class="plain" id="cd-pause">${t("暂停", "Pause")}</button><button class="plain" id="cd-resume">${t("继续", "Resume")}</button>
      <button class="plain" id="cd-retry">${t("重试失败的小程序", "Retry failed mini programs")}</button><button class="plain" id="cd-cancel">${t("取消", "Cancel")}</button><button class="plain" id="cd-refresh">${t("刷新", "Refresh")}</button></div>
      <div class="row"><select id="cd-state">${STATES.map(([k, v]) => `<option value="${k}">${v}</option>`).join("")}</select>
      <button class="plain" id="cd-prev">${t("上一页", "Previous")}</button><span id="cd-page"></span><button class="plain" id="cd-next">${t("下一页", "Next")}</button></div>
      <div id="cd-accounts">${t("加载中…", "Loading…")}</div></section>`;
  const load = async () => {
    const [c, d] = await Promise.all([
      api("GET", "/admin/campaign", undefined, {id}),
      api("GET", "/admin/campaign-accounts", undefined, {id, state: $("cd-state").value, offset: page * limit, limit}),
    ]);
    $("cd-head").textContent = t(`${CAMPAIGN_STATES[c.state] || c.state} · 模板 ${c.templateId} · 版本 ${c.userVersion} · ${counts(c.counts)}`,
      `${CAMPAIGN_STATES[c.state] || c.state} · template ${c.templateId} · version ${c.userVersion} · ${counts(c.counts)}`);
    $("cd-page").textContent = t(`第 ${page + 1} 页 / 共 ${d.total} 个`, `Page ${page + 1} · ${d.total} in all`);
    $("cd-prev").disabled = page === 0;
    $("cd-next").disabled = (page + 1) * limit >= d.total;
    $("cd-accounts").innerHTML = table([
      ["appid", r => `<span class="mono">${esc(r.appid)}</span>`], [t("名称", "Name"), r => esc(r.nickName)],
      [t("状态", "Status"), r => esc(STATE_NAMES[r.state] || r.state)], [t("步骤", "Step"), r => esc(r.step)], [t("尝试", "Attempts"), r => esc(r.attempts)],
      [t("审核单", "Audit ID"), r => esc(r.auditId || "")], [t("微信错误", "WeChat error"), r => r.lastError ? `<span class="mono">${esc(r.lastErrcode ?? "")} ${esc(r.lastError)}</span>` : ""],
      [t("更新时间", "Updated"), r => esc(time(r.updateTime))],
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
  action("cd-pause", "/admin/campaign-pause", t("已暂停", "Paused"));
  action("cd-resume", "/admin/campaign-resume", t("已继续", "Resumed"));
  action("cd-retry", "/admin/campaign-retry", t("失败的小程序已重新排队", "Failed mini programs queued again"));
  action("cd-cancel", "/admin/campaign-cancel", t("已取消", "Cancelled"),
    t("取消这个批量发版？尚未提交的小程序不再处理。", "Cancel this release campaign? Mini programs not yet committed will not be worked on."));
  $("cd-refresh").onclick = () => load().catch(() => {});
  $("cd-state").onchange = () => { page = 0; load().catch(() => {}); };
  $("cd-prev").onclick = () => { page--; load().catch(() => {}); };
  $("cd-next").onclick = () => { page++; load().catch(() => {}); };
  load().catch(() => {});
  el.scrollIntoView({behavior: "smooth"});
}
