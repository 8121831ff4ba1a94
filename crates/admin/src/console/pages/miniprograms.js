// 小程序: the release flow of one managed mini program (代开发小程序), in the
// order the platform's own document gives it: the platform's server domains
// first, then each mini program's code, server and business domains,
// privacy guide, testers, audit, release and gray release.
import { $, esc, time, toast, api, table } from "../lib.js";

const AUDIT = {0: "审核通过", 1: "审核驳回", 2: "审核中", 3: "已撤回", 4: "审核延后"};
const DOMAIN_KINDS = [
  ["requestDomain", "request 合法域名", "https://"],
  ["wsRequestDomain", "socket 合法域名", "wss://"],
  ["uploadDomain", "uploadFile 合法域名", "https://"],
  ["downloadDomain", "downloadFile 合法域名", "https://"],
  ["udpDomain", "udp 合法域名", "udp://"],
  ["tcpDomain", "tcp 合法域名", "tcp://"],
];

const lines = text => text.split(/[\s;,]+/).map(s => s.trim()).filter(Boolean);
const list = items => (items || []).length ? (items || []).map(d => `<span class="mono">${esc(d)}</span>`).join("<br>") : '<span class="muted">无</span>';
const auditText = a => a ? `${AUDIT[a.status] ?? a.status}${a.reason ? "：" + esc(a.reason) : ""}` : '<span class="muted">无</span>';

export default async function miniprograms(el, page = 0) {
  const limit = 15;
  el.innerHTML = `<section><h2>第三方平台服务器域名</h2>
      <p class="muted">小程序的服务器域名必须先是第三方平台的服务器域名（先设置这里，再配置各小程序）。</p>
      <div id="pd-server">加载中…</div>
      <div class="row"><input id="pd-server-in" placeholder="a.com;b.com" size="36"><select id="pd-server-action"><option value="add">添加</option><option value="delete">删除</option><option value="set">覆盖</option></select>
      <label><input type="checkbox" id="pd-server-pub"> 同时修改已发布版</label><button class="primary" id="pd-server-go">提交</button></div></section>
    <section><h2>第三方平台业务域名</h2><div id="pd-jump">加载中…</div>
      <div class="row"><input id="pd-jump-in" placeholder="h5.a.com" size="36"><select id="pd-jump-action"><option value="add">添加</option><option value="delete">删除</option><option value="set">覆盖</option></select>
      <label><input type="checkbox" id="pd-jump-pub"> 同时修改已发布版</label><button class="primary" id="pd-jump-go">提交</button>
      <button class="plain" id="pd-confirm">业务域名校验文件</button></div><div id="pd-confirm-out" class="mono"></div></section>
    <section><h2>代开发小程序</h2>
      <div class="row"><input id="w-appid" placeholder="按 appid 查找" size="28"><button class="plain" id="w-search">查找</button></div>
      <div id="w-list" class="muted">加载中…</div>
      <div class="row" style="margin-top:10px"><button class="plain" id="w-prev">上一页</button><span id="w-page"></span><button class="plain" id="w-next">下一页</button></div></section>
    <div id="w-detail"></div>`;

  const platform = async (kind) => {
    const route = kind === "server" ? "/admin/platform-server-domain" : "/admin/platform-jump-domain";
    const show = d => {
      $("pd-" + kind).innerHTML = table([["测试版", r => list(r.testing)], ["已发布", r => list(r.published)], ["无效", r => list(r.invalid)]], [d]);
    };
    api("GET", route).then(show).catch(e => { $("pd-" + kind).textContent = e.data || e.errorMsg || "-"; });
    $(`pd-${kind}-go`).onclick = async () => {
      const action = $(`pd-${kind}-action`).value;
      if (action !== "add" && !confirm(action === "set" ? "用输入的域名覆盖全部？" : "删除这些域名？")) return;
      show(await api("POST", route, {action, domains: lines($(`pd-${kind}-in`).value), publishedTogether: $(`pd-${kind}-pub`).checked}));
      toast("已修改");
    };
  };
  platform("server");
  platform("jump");
  $("pd-confirm").onclick = async () => {
    const d = await api("GET", "/admin/domain-confirm-file");
    $("pd-confirm-out").textContent = `${d.fileName}：${d.fileContent}`;
  };

  const load = async () => {
    const d = await api("GET", "/admin/dev-weapp-list", undefined, {offset: page * limit, limit, appid: $("w-appid").value.trim()});
    $("w-page").textContent = `第 ${page + 1} 页 / 共 ${d.total} 个`;
    $("w-list").innerHTML = table([
      ["appid", r => `<span class="mono">${esc(r.appid)}</span>`],
      ["名称", r => esc(r.nickName)],
      ["体验版", r => esc(r.expInfo?.expVersion)],
      ["线上版", r => esc(r.releaseInfo?.releaseVersion)],
      ["审核", r => auditText(r.auditState)],
      ["服务状态", r => r.serviceStatus === 1 ? "正常" : "暂停"],
      ["", r => `<button class="primary" data-manage="${esc(r.appid)}">管理</button>`],
    ], d.records);
    el.querySelectorAll("[data-manage]").forEach(b => b.onclick = () => detail($("w-detail"), b.dataset.manage));
    $("w-prev").disabled = page === 0;
    $("w-next").disabled = (page + 1) * limit >= d.total;
  };
  $("w-search").onclick = () => { page = 0; load().catch(() => {}); };
  $("w-prev").onclick = () => { page--; load().catch(() => {}); };
  $("w-next").onclick = () => { page++; load().catch(() => {}); };
  load().catch(() => {});
}

// The sections of one mini program; each loads on its own so one refusal
// (say, no privacy permission) leaves the others usable.
async function detail(el, appid) {
  const q = {appid};
  el.innerHTML = `<section><h2>小程序 <span class="mono">${esc(appid)}</span></h2>
      <h3>版本</h3><div id="v-info">加载中…</div>
      <div class="row"><select id="v-template"></select><input id="v-version" placeholder="版本号 1.0.0" size="12"><input id="v-desc" placeholder="版本描述" size="20"></div>
      <div class="row"><textarea id="v-ext" rows="3" cols="70" class="mono"></textarea></div>
      <div class="row"><button class="primary" id="v-commit">提交代码</button><button class="primary" id="v-submit">提交审核</button><label><input type="checkbox" id="v-notuse"> 承诺不使用隐私接口</label>
      <button class="plain" id="v-undo">撤回审核</button><button class="plain" id="v-speed">加急审核</button>
      <button class="primary" id="v-release">发布</button><button class="plain" id="v-rollback">回退到上一版本</button></div>
      <h3>审核</h3><div id="v-audit">加载中…</div>
      <div class="row"><span id="v-quota" class="muted"></span><input id="v-auditid" placeholder="审核单 auditid" size="14"><button class="plain" id="v-audit-q">查询审核单</button></div><div id="v-audit-one"></div>
      <h3>灰度发布</h3><div id="g-plan">加载中…</div>
      <div class="row"><input id="g-pct" type="number" min="0" max="100" placeholder="灰度百分比" style="width:110px">
      <label><input type="checkbox" id="g-exp"> 体验者优先</label><label><input type="checkbox" id="g-dbg"> 项目成员优先</label>
      <button class="primary" id="g-go">灰度发布</button><button class="plain" id="g-revert">撤销灰度</button></div></section>
    <section><h2>服务器域名</h2><div class="muted">每行或用 ; 分隔一个域名，须带协议头；保存即以输入覆盖（set）。</div>
      <div id="sd-form"></div><div class="row"><label><input type="checkbox" id="sd-direct"> 快速配置（不校验第三方平台域名）</label><button class="primary" id="sd-save">保存服务器域名</button></div>
      <h3>生效中的域名</h3><div id="sd-effective">加载中…</div></section>
    <section><h2>业务域名（web-view）</h2><div class="row"><textarea id="wv-in" rows="3" cols="60" class="mono"></textarea></div>
      <div class="row"><label><input type="checkbox" id="wv-direct"> 快速配置</label><button class="primary" id="wv-save">保存业务域名</button></div></section>
    <section><h2>用户隐私保护指引</h2><div id="pv-code" class="muted">加载中…</div>
      <table id="pv-settings"></table><div class="row"><button class="plain" id="pv-add">添加一项</button></div>
      <div class="row"><input id="pv-phone" placeholder="联系电话" size="14"><input id="pv-email" placeholder="联系邮箱" size="20"><input id="pv-qq" placeholder="QQ" size="10"><input id="pv-weixin" placeholder="微信号" size="14">
      <input id="pv-notice" placeholder="告知方式 (如 弹窗)" size="16"></div>
      <div class="row"><select id="pv-ver"><option value="2">开发版 (2)</option><option value="1">现网版 (1)</option></select><button class="primary" id="pv-save">保存隐私保护指引</button></div></section>
    <section><h2>体验者</h2><div id="t-list">加载中…</div>
      <div class="row"><input id="t-wechatid" placeholder="微信号" size="20"><button class="primary" id="t-bind">绑定体验者</button></div></section>`;

  const fail = id => e => { $(id).textContent = e.data || e.errorMsg || "-"; };
  const versions = async () => {
    const d = await api("GET", "/admin/dev-versions", undefined, q);
    $("v-info").innerHTML = table([
      ["", r => r[0]], ["版本", r => esc(r[1])], ["描述", r => esc(r[2])], ["时间", r => esc(time(r[3]))],
    ], [
      ["体验版", d.expInfo?.expVersion, d.expInfo?.expDesc, d.expInfo?.expTime],
      ["线上版", d.releaseInfo?.releaseVersion, d.releaseInfo?.releaseDesc, d.releaseInfo?.releaseTime],
    ]);
    const a = d.auditInfo;
    $("v-audit").innerHTML = a ? `审核单 <span class="mono">${esc(a.auditId)}</span> · 版本 ${esc(a.userVersion)} · ${auditText(a)} · 提交于 ${esc(time(a.submitAuditTime))}` : '<span class="muted">尚未提交审核</span>';
  };
  const quota = () => api("GET", "/admin/audit-quota", undefined, q)
    .then(d => { $("v-quota").textContent = `本月审核额度剩余 ${d.rest}/${d.limit}，加急剩余 ${d.speedupRest}/${d.speedupLimit}`; })
    .catch(() => {});
  const plan = () => api("GET", "/admin/gray-release-plan", undefined, q).then(d => {
    $("g-plan").innerHTML = d.status ? `状态 ${esc(d.status)} · ${esc(d.grayPercentage)}% · 开始于 ${esc(time(d.createTimestamp))}` : '<span class="muted">无灰度计划</span>';
  }).catch(fail("g-plan"));

  api("GET", "/admin/template-list").then(d => {
    $("v-template").innerHTML = (d.templateList || []).map(t => `<option value="${esc(t.templateId)}">${esc(t.templateId)} · ${esc(t.userVersion)} ${esc(t.userDesc)}</option>`).join("");
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
  act("v-commit", "代码已提交（体验版）", () => api("POST", "/admin/commit-code", {
    templateId: $("v-template").value, extJson: $("v-ext").value, userVersion: $("v-version").value.trim(), userDesc: $("v-desc").value.trim(),
  }, q));
  act("v-submit", "已提交审核", () => api("POST", "/admin/submit-audit", {privacyApiNotUse: $("v-notuse").checked}, q));
  act("v-undo", "已撤回审核", () => api("POST", "/admin/revoke-audit", {}, q), "撤回审核？每天最多 5 次、每月 10 次。");
  act("v-speed", "已申请加急", () => api("POST", "/admin/speed-up-audit", {}, q));
  act("v-release", "已发布", () => api("POST", "/admin/release-code", {}, q), "把审核通过的版本全量发布？");
  act("v-rollback", "已回退", () => api("POST", "/admin/rollback-release-version", {}, q), "回退到上一个线上版本？");
  act("g-go", "已灰度发布", () => api("POST", "/admin/gray-release", {
    appid, grayPercentage: Number($("g-pct").value), supportExperiencerFirst: $("g-exp").checked, supportDebugerFirst: $("g-dbg").checked,
  }), "按所填比例灰度发布审核通过的版本？");
  act("g-revert", "已撤销灰度", () => api("POST", "/admin/revert-gray-release", {appid}), "撤销灰度发布？");
  $("v-audit-q").onclick = async () => {
    const a = await api("GET", "/admin/audit-status", undefined, {appid, auditId: $("v-auditid").value.trim()});
    $("v-audit-one").innerHTML = `审核单 <span class="mono">${esc(a.auditId)}</span> · ${auditText(a)}`;
  };

  $("sd-form").innerHTML = DOMAIN_KINDS.map(([key, label, scheme]) =>
    `<div class="row"><label style="width:150px">${label}</label><textarea id="sd-${key}" rows="2" cols="60" class="mono" placeholder="${scheme}a.com"></textarea></div>`).join("");
  const fillDomains = d => DOMAIN_KINDS.forEach(([key]) => { $("sd-" + key).value = (d[key] || []).join("\n"); });
  api("GET", "/admin/server-domain", undefined, q).then(fillDomains).catch(() => {});
  const effective = () => api("GET", "/admin/effective-domain", undefined, q).then(d => {
    $("sd-effective").innerHTML = table([["类型", r => esc(r[1])], ["生效", r => list(d.effectiveDomain?.[r[0]])], ["小程序后台", r => list(d.mpDomain?.[r[0]])],
      ["第三方平台", r => list(d.thirdDomain?.[r[0]])], ["快速配置", r => list(d.directDomain?.[r[0]])]], DOMAIN_KINDS);
  }).catch(fail("sd-effective"));
  effective();
  $("sd-save").onclick = async () => {
    if (!confirm("用输入的域名覆盖该小程序的服务器域名？")) return;
    const body = {appid, action: "set", directly: $("sd-direct").checked};
    DOMAIN_KINDS.forEach(([key]) => { body[key] = lines($("sd-" + key).value); });
    fillDomains(await api("POST", "/admin/server-domain", body));
    toast("服务器域名已保存");
    effective();
  };

  api("GET", "/admin/webview-domain", undefined, q).then(d => { $("wv-in").value = (d.webviewDomain || []).join("\n"); }).catch(() => {});
  $("wv-save").onclick = async () => {
    if (!confirm("用输入的域名覆盖该小程序的业务域名？")) return;
    const d = await api("POST", "/admin/webview-domain", {appid, action: "set", webviewDomain: lines($("wv-in").value), directly: $("wv-direct").checked});
    $("wv-in").value = (d.webviewDomain || []).join("\n");
    toast("业务域名已保存");
  };

  const settingRow = (key = "", text = "") => `<tr><td><input class="pv-key mono" value="${esc(key)}" placeholder="privacy_key，如 Location" size="18"></td>
    <td><input class="pv-text" value="${esc(text)}" placeholder="用途说明" size="50"></td><td><button class="plain pv-del">删除</button></td></tr>`;
  const wireRows = () => el.querySelectorAll(".pv-del").forEach(b => b.onclick = () => { b.closest("tr").remove(); });
  const privacy = async () => {
    const d = await api("GET", "/admin/privacy-setting", undefined, {appid, privacyVer: $("pv-ver").value});
    const used = d.privacyList || [];
    $("pv-code").innerHTML = d.codeExist ? `代码用到的隐私接口：${used.length ? used.map(k => `<span class="mono">${esc(k)}</span>`).join("、") : "无"}` : "尚未提交代码";
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
    toast("隐私保护指引已保存");
    privacy().catch(() => {});
  };

  const testers = async () => {
    const d = await api("GET", "/admin/testers", undefined, q);
    $("t-list").innerHTML = table([["userstr", r => `<span class="mono">${esc(r.userstr)}</span>`],
      ["", r => `<button class="plain" data-unbind="${esc(r.userstr)}">解除绑定</button>`]], d.members);
    el.querySelectorAll("[data-unbind]").forEach(b => b.onclick = async () => {
      if (!confirm("解除该体验者？")) return;
      await api("POST", "/admin/unbind-tester", {appid, userstr: b.dataset.unbind});
      toast("已解除"); testers().catch(() => {});
    });
  };
  testers().catch(fail("t-list"));
  $("t-bind").onclick = async () => {
    await api("POST", "/admin/bind-tester", {appid, wechatid: $("t-wechatid").value.trim()});
    $("t-wechatid").value = "";
    toast("已绑定体验者"); testers().catch(() => {});
  };
  el.scrollIntoView({behavior: "smooth"});
}
