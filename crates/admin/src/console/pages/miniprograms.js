// 小程序: the release flow of one managed mini program (代开发小程序), in the
// order the platform's own document gives it: the platform's server domains
// first, then each mini program's code, server and business domains,
// privacy guide, testers, audit, release and gray release.
import { $, esc, time, toast, api, table, t } from "../lib.js";

const AUDIT = {0: t("审核通过", "Approved"), 1: t("审核驳回", "Rejected"), 2: t("审核中", "Under review"), 3: t("已撤回", "Withdrawn"), 4: t("审核延后", "Review delayed")};
const DOMAIN_KINDS = [
  ["requestDomain", t("request 合法域名", "request domains"), "https://"],
  ["wsRequestDomain", t("socket 合法域名", "socket domains"), "wss://"],
  ["uploadDomain", t("uploadFile 合法域名", "uploadFile domains"), "https://"],
  ["downloadDomain", t("downloadFile 合法域名", "downloadFile domains"), "https://"],
  ["udpDomain", t("udp 合法域名", "udp domains"), "udp://"],
  ["tcpDomain", t("tcp 合法域名", "tcp domains"), "tcp://"],
];

const lines = text => text.split(/[\s;,]+/).map(s => s.trim()).filter(Boolean);
const list = items => (items || []).length ? (items || []).map(d => `<span class="mono">${esc(d)}</span>`).join("<br>") : `<span class="muted">${t("无", "None")}</span>`;
const auditText = a => a ? `${AUDIT[a.status] ?? a.status}${a.reason ? t("：", ": ") + esc(a.reason) : ""}` : `<span class="muted">${t("无", "None")}</span>`;

export default async function miniprograms(el, page = 0) {
  const limit = 15;
  el.innerHTML = `<section><h2>${t("第三方平台服务器域名", "Third-party platform server domains")}</h2>
      <p class="muted">${t("小程序的服务器域名必须先是第三方平台的服务器域名（先设置这里，再配置各小程序）。", "A mini program's server domains must first be server domains of the third-party platform (set them here first, then configure each mini program).")}</p>
      <div id="pd-server">${t("加载中…", "Loading…")}</div>
      <div class="row"><input id="pd-server-in" placeholder="a.com;b.com" size="36"><select id="pd-server-action"><option value="add">${t("添加", "Add")}</option><option value="delete">${t("删除", "Delete")}</option><option value="set">${t("覆盖", "Replace all")}</option></select>
      <label><input type="checkbox" id="pd-server-pub"> ${t("同时修改已发布版", "Also change the released version")}</label><button class="primary" id="pd-server-go">${t("提交", "Submit")}</button></div></section>
    <section><h2>${t("第三方平台业务域名", "Third-party platform web-view domains")}</h2><div id="pd-jump">${t("加载中…", "Loading…")}</div>
      <div class="row"><input id="pd-jump-in" placeholder="h5.a.com" size="36"><select id="pd-jump-action"><option value="add">${t("添加", "Add")}</option><option value="delete">${t("删除", "Delete")}</option><option value="set">${t("覆盖", "Replace all")}</option></select>
      <label><input type="checkbox" id="pd-jump-pub"> ${t("同时修改已发布版", "Also change the released version")}</label><button class="primary" id="pd-jump-go">${t("提交", "Submit")}</button>
      <button class="plain" id="pd-confirm">${t("业务域名校验文件", "Web-view domain verification file")}</button></div><div id="pd-confirm-out" class="mono"></div></section>
    <section><h2>${t("代开发小程序", "Managed mini programs")}</h2>
      <div class="row"><input id="w-appid" placeholder="${t("按 appid 查找", "Find by appid")}" size="28"><button class="plain" id="w-search">${t("查找", "Find")}</button></div>
      <div id="w-list" class="muted">${t("加载中…", "Loading…")}</div>
      <div class="row" style="margin-top:10px"><button class="plain" id="w-prev">${t("上一页", "Previous")}</button><span id="w-page"></span><button class="plain" id="w-next">${t("下一页", "Next")}</button></div></section>
    <div id="w-detail"></div>`;

  const platform = async (kind) => {
    const route = kind === "server" ? "/admin/platform-server-domain" : "/admin/platform-jump-domain";
    const show = d => {
      $("pd-" + kind).innerHTML = table([[t("测试版", "Testing"), r => list(r.testing)], [t("已发布", "Released"), r => list(r.published)], [t("无效", "Invalid"), r => list(r.invalid)]], [d]);
    };
    api("GET", route).then(show).catch(e => { $("pd-" + kind).textContent = e.data || e.errorMsg || "-"; });
    $(`pd-${kind}-go`).onclick = async () => {
      const action = $(`pd-${kind}-action`).value;
      if (action !== "add" && !confirm(action === "set" ? t("用输入的域名覆盖全部？", "Replace them all with the domains entered?") : t("删除这些域名？", "Delete these domains?"))) return;
      show(await api("POST", route, {action, domains: lines($(`pd-${kind}-in`).value), publishedTogether: $(`pd-${kind}-pub`).checked}));
      toast(t("已修改", "Changed"));
    };
  };
  platform("server");
  platform("jump");
  $("pd-confirm").onclick = async () => {
    const d = await api("GET", "/admin/domain-confirm-file");
    $("pd-confirm-out").textContent = `${d.fileName}${t("：", ": ")}${d.fileContent}`;
  };

  const load = async () => {
    const d = await api("GET", "/admin/dev-weapp-list", undefined, {offset: page * limit, limit, appid: $("w-appid").value.trim()});
    $("w-page").textContent = t(`第 ${page + 1} 页 / 共 ${d.total} 个`, `Page ${page + 1} · ${d.total} in all`);
    $("w-list").innerHTML = table([
      ["appid", r => `<span class="mono">${esc(r.appid)}</span>`],
      [t("名称", "Name"), r => esc(r.nickName)],
      [t("体验版", "Trial version"), r => esc(r.expInfo?.expVersion)],
      [t("线上版", "Released version"), r => esc(r.releaseInfo?.releaseVersion)],
      [t("审核", "Review"), r => auditText(r.auditState)],
      [t("服务状态", "Service status"), r => r.serviceStatus === 1 ? t("正常", "Active") : t("暂停", "Suspended")],
      ["", r => `<button class="primary" data-manage="${esc(r.appid)}">${t("管理", "Manage")}</button>`],
    ], d.records);
    el.querySelectorAll("[data-manage]").forEach(b => b.onclick = () => detail($("w-detail"), b.dataset.manage));
    $("w-prev").disabled = page === 0;
    $("w-next").disabled = (page + 1) * limit >= d.total;
  };
  $("w-search").onclick = () => { page = 0; load().catch(() => {}); };
  $("w-prev").onclick = () => { page--; load().catch(() => {}); };
  $("w-next").onclick = () => { page++; load().catch(() => {}); };
  // Opened from 授权帐号 on one account: that account, listed and shown.
  const wanted = sessionStorage.getItem("miniprogram");
  if (wanted) { sessionStorage.removeItem("miniprogram"); $("w-appid").value = wanted; detail($("w-detail"), wanted); }
  load().catch(() => {});
}

// The sections of one mini program; each loads on its own so one refusal
// (say, no privacy permission) leaves the others usable.
async function detail(el, appid) {
  const q = {appid};
  el.innerHTML = `<section><h2>${t("小程序", "Mini program")} <span class="mono">${esc(appid)}</span></h2>
      <h3>${t("版本", "Versions")}</h3><div id="v-info">${t("加载中…", "Loading…")}</div>
      <div class="row"><select id="v-template"></select><input id="v-version" placeholder="${t("版本号 1.0.0", "Version 1.0.0")}" size="12"><input id="v-desc" placeholder="${t("版本描述", "Version description")}" size="20"></div>
      <div class="row"><textarea id="v-ext" rows="3" cols="70" class="mono"></textarea></div>
      <div class="row"><button class="primary" id="v-commit">${t("提交代码", "Commit code")}</button><button class="primary" id="v-submit">${t("提交审核", "Submit for review")}</button><label><input type="checkbox" id="v-notuse"> ${t("承诺不使用隐私接口", "Declare no privacy API is used")}</label>
      <button class="plain" id="v-undo">${t("撤回审核", "Withdraw review")}</button><button class="plain" id="v-speed">${t("加急审核", "Expedite review")}</button>
      <button class="primary" id="v-release">${t("发布", "Release")}</button><button class="plain" id="v-rollback">${t("回退到上一版本", "Roll back to the previous version")}</button></div>
      <h3>${t("审核", "Review")}</h3><div id="v-audit">${t("加载中…", "Loading…")}</div>
      <div class="row"><span id="v-quota" class="muted"></span><input id="v-auditid" placeholder="${t("审核单 auditid", "Review auditid")}" size="14"><button class="plain" id="v-audit-q">${t("查询审核单", "Look up review")}</button></div><div id="v-audit-one"></div>
      <h3>${t("灰度发布", "Gray release")}</h3><div id="g-plan">${t("加载中…", "Loading…")}</div>
      <div class="row"><input id="g-pct" type="number" min="0" max="100" placeholder="${t("灰度百分比", "Gray percentage")}" style="width:110px">
      <label><input type="checkbox" id="g-exp"> ${t("体验者优先", "Testers first")}</label><label><input type="checkbox" id="g-dbg"> ${t("项目成员优先", "Project members first")}</label>
      <button class="primary" id="g-go">${t("灰度发布", "Start gray release")}</button><button class="plain" id="g-revert">${t("撤销灰度", "Revoke gray release")}</button></div></section>
    <section><h2>${t("服务器域名", "Server domains")}</h2><div class="muted">${t("每行或用 ; 分隔一个域名，须带协议头；保存即以输入覆盖（set）。", "One domain per line or separated by ;, with its scheme; saving replaces the current domains with those entered (set).")}</div>
      <div id="sd-form"></div><div class="row"><label><input type="checkbox" id="sd-direct"> ${t("快速配置（不校验第三方平台域名）", "Quick setup (not checked against the platform's domains)")}</label><button class="primary" id="sd-save">${t("保存服务器域名", "Save server domains")}</button></div>
      <h3>${t("生效中的域名", "Domains in effect")}</h3><div id="sd-effective">${t("加载中…", "Loading…")}</div></section>
    <section><h2>${t("业务域名（web-view）", "Web-view domains")}</h2><div class="row"><textarea id="wv-in" rows="3" cols="60" class="mono"></textarea></div>
      <div class="row"><label><input type="checkbox" id="wv-direct"> ${t("快速配置", "Quick setup")}</label><button class="primary" id="wv-save">${t("保存业务域名", "Save web-view domains")}</button></div></section>
    <section><h2>${t("用户隐私保护指引", "User privacy guide")}</h2><div id="pv-code" class="muted">${t("加载中…", "Loading…")}</div>
      <table id="pv-settings"></table><div class="row"><button class="plain" id="pv-add">${t("添加一项", "Add an item")}</button></div>
      <div class="row"><input id="pv-phone" placeholder="${t("联系电话", "Contact phone")}" size="14"><input id="pv-email" placeholder="${t("联系邮箱", "Contact email")}" size="20"><input id="pv-qq" placeholder="QQ" size="10"><input id="pv-weixin" placeholder="${t("微信号", "WeChat ID")}" size="14">
      <input id="pv-notice" placeholder="${t("告知方式 (如 弹窗)", "Notice method (e.g. 弹窗, a pop-up)")}" size="16"></div>
      <div class="row"><select id="pv-ver"><option value="2">${t("开发版 (2)", "Development version (2)")}</option><option value="1">${t("现网版 (1)", "Live version (1)")}</option></select><button class="primary" id="pv-save">${t("保存隐私保护指引", "Save privacy guide")}</button></div></section>
    <section><h2>${t("体验者", "Testers")}</h2><div id="t-list">${t("加载中…", "Loading…")}</div>
      <div class="row"><input id="t-wechatid" placeholder="${t("微信号", "WeChat ID")}" size="20"><button class="primary" id="t-bind">${t("绑定体验者", "Bind tester")}</button></div></section>`;

  const fail = id => e => { $(id).textContent = e.data || e.errorMsg || "-"; };
  const versions = async () => {
    const d = await api("GET", "/admin/dev-versions", undefined, q);
    $("v-info").innerHTML = table([
      ["", r => r[0]], [t("版本", "Version"), r => esc(r[1])], [t("描述", "Description"), r => esc(r[2])], [t("时间", "Time"), r => esc(time(r[3]))],
    ], [
      [t("体验版", "Trial version"), d.expInfo?.expVersion, d.expInfo?.expDesc, d.expInfo?.expTime],
      [t("线上版", "Released version"), d.releaseInfo?.releaseVersion, d.releaseInfo?.releaseDesc, d.releaseInfo?.releaseTime],
    ]);
    const a = d.auditInfo;
    $("v-audit").innerHTML = a ? t(`审核单 <span class="mono">${esc(a.auditId)}</span> · 版本 ${esc(a.userVersion)} · ${auditText(a)} · 提交于 ${esc(time(a.submitAuditTime))}`,
      `Review <span class="mono">${esc(a.auditId)}</span> · version ${esc(a.userVersion)} · ${auditText(a)} · submitted ${esc(time(a.submitAuditTime))}`)
      : `<span class="muted">${t("尚未提交审核", "Not submitted for review yet")}</span>`;
  };
  const quota = () => api("GET", "/admin/audit-quota", undefined, q)
    .then(d => { $("v-quota").textContent = t(`本月审核额度剩余 ${d.rest}/${d.limit}，加急剩余 ${d.speedupRest}/${d.speedupLimit}`,
      `Reviews left this month ${d.rest}/${d.limit}, expedited ${d.speedupRest}/${d.speedupLimit}`); })
    .catch(() => {});
  const plan = () => api("GET", "/admin/gray-release-plan", undefined, q).then(d => {
    $("g-plan").innerHTML = d.status ? t(`状态 ${esc(d.status)} · ${esc(d.grayPercentage)}% · 开始于 ${esc(time(d.createTimestamp))}`,
      `Status ${esc(d.status)} · ${esc(d.grayPercentage)}% · started ${esc(time(d.createTimestamp))}`)
      : `<span class="muted">${t("无灰度计划", "No gray release plan")}</span>`;
  }).catch(fail("g-plan"));

  api("GET", "/admin/template-list").then(d => {
    $("v-template").innerHTML = (d.templateList || []).map(tpl => `<option value="${esc(tpl.templateId)}">${esc(tpl.templateId)} · ${esc(tpl.userVersion)} ${esc(tpl.userDesc)}</option>`).join("");
  }).catch(() => {});
  $("v-ext").value = JSON.stringify({extAppid: appid, ext: {}}, null, 0);
  versions().catch(fail("v-info"));
  quota();
  plan();

  const act = (id, text, call, ask) => {
    $(id).onclick = async () => {
      if (ask && !confirm(ask)) return;
      await call();
      toast(text);
      versions().catch(() => {});
      quota();
      plan();
    };
  };
  act("v-commit", t("代码已提交（体验版）", "Code committed (trial version)"), () => api("POST", "/admin/commit-code", {
    templateId: $("v-template").value, extJson: $("v-ext").value, userVersion: $("v-version").value.trim(), userDesc: $("v-desc").value.trim(),
  }, q));
  act("v-submit", t("已提交审核", "Submitted for review"), () => api("POST", "/admin/submit-audit", {privacyApiNotUse: $("v-notuse").checked}, q));
  act("v-undo", t("已撤回审核", "Review withdrawn"), () => api("POST", "/admin/revoke-audit", {}, q),
    t("撤回审核？每天最多 5 次、每月 10 次。", "Withdraw the review? At most 5 times a day and 10 a month."));
  act("v-speed", t("已申请加急", "Expedited review requested"), () => api("POST", "/admin/speed-up-audit", {}, q));
  act("v-release", t("已发布", "Released"), () => api("POST", "/admin/release-code", {}, q),
    t("把审核通过的版本全量发布？", "Release the approved version to all users?"));
  act("v-rollback", t("已回退", "Rolled back"), () => api("POST", "/admin/rollback-release-version", {}, q),
    t("回退到上一个线上版本？", "Roll back to the previous released version?"));
  act("g-go", t("已灰度发布", "Gray release started"), () => api("POST", "/admin/gray-release", {
    appid, grayPercentage: Number($("g-pct").value), supportExperiencerFirst: $("g-exp").checked, supportDebugerFirst: $("g-dbg").checked,
  }), t("按所填比例灰度发布审核通过的版本？", "Gray-release the approved version to the percentage entered?"));
  act("g-revert", t("已撤销灰度", "Gray release revoked"), () => api("POST", "/admin/revert-gray-release", {appid}),
    t("撤销灰度发布？", "Revoke the gray release?"));
  $("v-audit-q").onclick = async () => {
    const a = await api("GET", "/admin/audit-status", undefined, {appid, auditId: $("v-auditid").value.trim()});
    $("v-audit-one").innerHTML = t(`审核单 <span class="mono">${esc(a.auditId)}</span> · ${auditText(a)}`, `Review <span class="mono">${esc(a.auditId)}</span> · ${auditText(a)}`);
  };

  $("sd-form").innerHTML = DOMAIN_KINDS.map(([key, label, scheme]) =>
    `<div class="row"><label style="width:150px">${label}</label><textarea id="sd-${key}" rows="2" cols="60" class="mono" placeholder="${scheme}a.com"></textarea></div>`).join("");
  const fillDomains = d => DOMAIN_KINDS.forEach(([key]) => { $("sd-" + key).value = (d[key] || []).join("\n"); });
  api("GET", "/admin/server-domain", undefined, q).then(fillDomains).catch(() => {});
  const effective = () => api("GET", "/admin/effective-domain", undefined, q).then(d => {
    $("sd-effective").innerHTML = table([[t("类型", "Type"), r => esc(r[1])], [t("生效", "In effect"), r => list(d.effectiveDomain?.[r[0]])], [t("小程序后台", "Mini program admin"), r => list(d.mpDomain?.[r[0]])],
      [t("第三方平台", "Third-party platform"), r => list(d.thirdDomain?.[r[0]])], [t("快速配置", "Quick setup"), r => list(d.directDomain?.[r[0]])]], DOMAIN_KINDS);
  }).catch(fail("sd-effective"));
  effective();
  $("sd-save").onclick = async () => {
    if (!confirm(t("用输入的域名覆盖该小程序的服务器域名？", "Replace this mini program's server domains with the domains entered?"))) return;
    const body = {appid, action: "set", directly: $("sd-direct").checked};
    DOMAIN_KINDS.forEach(([key]) => { body[key] = lines($("sd-" + key).value); });
    fillDomains(await api("POST", "/admin/server-domain", body));
    toast(t("服务器域名已保存", "Server domains saved"));
    effective();
  };

  api("GET", "/admin/webview-domain", undefined, q).then(d => { $("wv-in").value = (d.webviewDomain || []).join("\n"); }).catch(() => {});
  $("wv-save").onclick = async () => {
    if (!confirm(t("用输入的域名覆盖该小程序的业务域名？", "Replace this mini program's web-view domains with the domains entered?"))) return;
    const d = await api("POST", "/admin/webview-domain", {appid, action: "set", webviewDomain: lines($("wv-in").value), directly: $("wv-direct").checked});
    $("wv-in").value = (d.webviewDomain || []).join("\n");
    toast(t("业务域名已保存", "Web-view domains saved"));
  };

  const settingRow = (key = "", text = "") => `<tr><td><input class="pv-key mono" value="${esc(key)}" placeholder="${t("privacy_key，如 Location", "privacy_key, e.g. Location")}" size="18"></td>
    <td><input class="pv-text" value="${esc(text)}" placeholder="${t("用途说明", "Purpose")}" size="50"></td><td><button class="plain pv-del">${t("删除", "Delete")}</button></td></tr>`;
  const wireRows = () => el.querySelectorAll(".pv-del").forEach(b => b.onclick = () => { b.closest("tr").remove(); });
  const privacy = async () => {
    const d = await api("GET", "/admin/privacy-setting", undefined, {appid, privacyVer: $("pv-ver").value});
    const used = d.privacyList || [];
    const usedText = used.length ? used.map(k => `<span class="mono">${esc(k)}</span>`).join(t("、", ", ")) : t("无", "None");
    $("pv-code").innerHTML = d.codeExist ? t(`代码用到的隐私接口：${usedText}`, `Privacy APIs the code uses: ${usedText}`) : t("尚未提交代码", "No code committed yet");
    const rows = (d.settingList || []).map(s => [s.privacyKey, s.privacyText]);
    used.filter(k => !rows.some(r => r[0] === k)).forEach(k => rows.push([k, ""]));
    $("pv-settings").innerHTML = rows.map(r => settingRow(r[0], r[1])).join("");
    wireRows();
    const o = d.ownerSetting || {};
    $("pv-phone").value = o.contactPhone || ""; $("pv-email").value = o.contactEmail || ""; $("pv-qq").value = o.contactQq || "";
    $("pv-weixin").value = o.contactWeixin || ""; $("pv-notice").value = o.noticeMethod || "";
  };
  privacy().catch(fail("pv-code"));
  $("pv-ver").onchange = () => privacy().catch(fail("pv-code"));
  $("pv-add").onclick = () => { $("pv-settings").insertAdjacentHTML("beforeend", settingRow()); wireRows(); };
  $("pv-save").onclick = async () => {
    const settingList = [...el.querySelectorAll("#pv-settings tr")].map(tr => ({
      privacyKey: tr.querySelector(".pv-key").value.trim(), privacyText: tr.querySelector(".pv-text").value.trim(),
    })).filter(s => s.privacyKey);
    await api("POST", "/admin/privacy-setting", {appid, privacyVer: Number($("pv-ver").value), settingList, ownerSetting: {
      contactPhone: $("pv-phone").value.trim(), contactEmail: $("pv-email").value.trim(), contactQq: $("pv-qq").value.trim(),
      contactWeixin: $("pv-weixin").value.trim(), noticeMethod: $("pv-notice").value.trim(),
    }});
    toast(t("隐私保护指引已保存", "Privacy guide saved"));
    privacy().catch(() => {});
  };

  const testers = async () => {
    const d = await api("GET", "/admin/testers", undefined, q);
    $("t-list").innerHTML = table([["userstr", r => `<span class="mono">${esc(r.userstr)}</span>`],
      ["", r => `<button class="plain" data-unbind="${esc(r.userstr)}">${t("解除绑定", "Unbind")}</button>`]], d.members);
    el.querySelectorAll("[data-unbind]").forEach(b => b.onclick = async () => {
      if (!confirm(t("解除该体验者？", "Unbind this tester?"))) return;
      await api("POST", "/admin/unbind-tester", {appid, userstr: b.dataset.unbind});
      toast(t("已解除", "Unbound")); testers().catch(() => {});
    });
  };
  testers().catch(fail("t-list"));
  $("t-bind").onclick = async () => {
    await api("POST", "/admin/bind-tester", {appid, wechatid: $("t-wechatid").value.trim()});
    $("t-wechatid").value = "";
    toast(t("已绑定体验者", "Tester bound")); testers().catch(() => {});
  };
  el.scrollIntoView({behavior: "smooth"});
}
