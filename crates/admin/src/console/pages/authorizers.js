// 授权帐号: the stored authorizers, paged, found by appid or name and by kind,
// with what WeChat says about them, and the pull from WeChat;
// 业务绑定: the business ids the operator's page bound (POST /inner/bindings), unbindable.
import { $, esc, time, toast, api, table, t, copy, mask } from "../lib.js";

// WeChat's permission sets (权限集) by id, official accounts' and mini
// programs', as WeChat's third-party platform documents name them
// (公众号权限集说明, 小程序权限集说明); only this page shows them.
// The list answers ids only; an id missing here is shown as its number.
const PERMISSIONS = {
  1: ["消息管理", "Messages"], 2: ["用户管理", "Users"], 3: ["帐号服务", "Account services"],
  4: ["网页服务", "Web services"], 5: ["微信小店", "WeChat store"], 6: ["微信多客服", "Customer service"],
  7: ["群发与通知", "Mass messages and notifications"], 8: ["微信卡券", "Cards and coupons"], 9: ["微信扫一扫", "Scan"],
  10: ["微信连WIFI", "Wi-Fi"], 11: ["素材管理", "Materials"], 12: ["微信摇周边", "Shake nearby"],
  13: ["微信门店", "Stores"], 15: ["自定义菜单", "Custom menu"], 17: ["获取小程序码", "Mini program codes"],
  18: ["小程序开发与数据分析", "Development and analytics"], 19: ["小程序客服管理", "Customer service"],
  22: ["城市服务", "City services"], 23: ["广告管理", "Advertising"], 24: ["开放平台帐号管理", "Open platform account"],
  25: ["开放平台帐号管理", "Open platform account"], 26: ["微信电子发票", "E-invoices"], 27: ["快速注册小程序", "Fast mini program registration"],
  30: ["小程序基本信息管理", "Basic information"], 31: ["小程序认证名称检测", "Verified name check"],
  33: ["小程序管理", "Mini program links"], 36: ["微信卡路里管理", "WeChat calories"], 37: ["附近的小程序管理", "Nearby mini programs"],
  40: ["小程序插件管理", "Plug-ins"], 41: ["好物圈管理", "Good things circle"],
  45: ["微信物流服务", "Logistics"], 48: ["微信财政电子票据管理", "Fiscal e-receipts"], 49: ["小程序云开发管理", "Cloud development"],
  51: ["小程序即时配送", "Instant delivery"], 52: ["小程序直播管理", "Live streaming"],
};
// verify_type_info.id.
const VERIFY = {
  "-1": ["未认证", "Not verified"], 0: ["微信认证", "WeChat verified"], 1: ["新浪微博认证", "Sina Weibo verified"],
  2: ["腾讯微博认证", "Tencent Weibo verified"], 3: ["资质认证（名称未认证）", "Qualified, name not verified"],
  4: ["资质认证（名称未认证）", "Qualified, name not verified"], 5: ["资质认证（名称未认证）", "Qualified, name not verified"],
};
const named = (map, id) => map[id] ? t(...map[id]) : String(id);
const permissions = funcInfo => {
  const ids = String(funcInfo || "").split("|").filter(Boolean);
  if (!ids.length) return `<span class="muted">${t("无", "None")}</span>`;
  return `<div class="perms">${ids.map(id => `<span class="perm" title="${esc(id)}">${esc(named(PERMISSIONS, id))}</span>`).join("")}</div>`;
};

export default async function authorizers(el, page = 0) {
  const limit = 15;
  el.innerHTML = `<section><h2>${t("授权帐号", "Authorized accounts")}</h2>
    <div class="row"><input id="a-search-text" placeholder="${t("appid 或名称", "appid or name")}" size="28">
    <select id="a-type"><option value="">${t("全部类型", "All kinds")}</option><option value="1">${t("公众号", "Official accounts")}</option><option value="0">${t("小程序", "Mini programs")}</option></select>
    <button class="plain" id="a-search">${t("查找", "Find")}</button>
    <button class="primary" id="a-pull">${t("从微信拉取全部授权帐号", "Pull every authorized account from WeChat")}</button><span id="a-pull-status" class="muted"></span></div>
    <div id="a-token" class="row hidden"><span class="mono" id="a-token-appid"></span><span class="mono link grow" id="a-token-value"></span><button class="plain" id="a-token-copy">${t("复制", "Copy")}</button></div>
    <div id="a-list" class="muted wide">${t("加载中…", "Loading…")}</div>
    <div class="row pager"><button class="plain" id="a-prev">${t("上一页", "Previous")}</button><span id="a-page"></span><button class="plain" id="a-next">${t("下一页", "Next")}</button></div></section>
    <section><h2>${t("业务绑定", "Business bindings")}</h2>
    <div class="row"><input id="b-biz" placeholder="${t("按业务 id 查找", "Find by business id")}" size="20"><input id="b-appid" placeholder="${t("按 appid 查找", "Find by appid")}" size="24"><button class="plain" id="b-search">${t("查找", "Find")}</button></div>
    <div id="b-list" class="muted">${t("加载中…", "Loading…")}</div></section>`;
  const STATE = {bound: t("已绑定", "Bound"), unauthorized: t("已取消授权", "Authorization revoked")};
  const bindings = async () => {
    const d = await api("GET", "/admin/bindings", undefined, {offset: 0, limit: 20, bizId: $("b-biz").value.trim(), appid: $("b-appid").value.trim()});
    $("b-list").innerHTML = table([
      [t("业务 id", "Business id"), r => `<span class="mono">${esc(r.bizId)}</span>`],
      ["appid", r => `<span class="mono">${esc(r.appid)}</span>`],
      [t("状态", "State"), r => esc(STATE[r.state] ?? r.state)],
      [t("绑定时间", "Bound"), r => esc(time(r.createTime))],
      [t("更新时间", "Updated"), r => esc(time(r.updateTime))],
      ["", r => `<button class="plain" data-unbind="${esc(r.bizId)}">${t("解除绑定", "Unbind")}</button>`],
    ], d.records);
    el.querySelectorAll("[data-unbind]").forEach(b => b.onclick = async () => {
      if (!confirm(t(`解除业务 id ${b.dataset.unbind} 的绑定？（帐号的授权不变）`, `Unbind business id ${b.dataset.unbind}? (The account stays authorized.)`))) return;
      await api("POST", "/admin/unbind", {bizId: b.dataset.unbind});
      toast(t("已解除绑定", "Unbound"));
      bindings().catch(() => {});
    });
  };
  $("b-search").onclick = () => { bindings().catch(() => {}); };
  bindings().catch(() => {});

  const showToken = async appid => {
    const d = await api("GET", "/admin/authorizer-access-token", undefined, {appid});
    $("a-token-appid").textContent = appid;
    $("a-token-value").textContent = mask(d.token);
    $("a-token").classList.remove("hidden");
    $("a-token-copy").onclick = () => copy(d.token);
  };
  // The 小程序 page, opened on this account (it reads the appid once).
  const openMiniProgram = appid => {
    sessionStorage.setItem("miniprogram", appid);
    document.querySelector('#tabs button[data-tab="miniprograms"]').click();
  };
  const load = async () => {
    const d = await api("GET", "/admin/authorizer-list", undefined, {offset: page * limit, limit, q: $("a-search-text").value.trim(), appType: $("a-type").value});
    const pages = Math.max(1, Math.ceil(d.total / limit));
    $("a-page").textContent = t(`第 ${page + 1} / ${pages} 页，共 ${d.total} 个`, `Page ${page + 1} of ${pages} · ${d.total} in all`);
    $("a-list").innerHTML = table([
      ["", r => r.headImg ? `<img class="avatar" src="${esc(r.headImg)}" alt="" referrerpolicy="no-referrer">` : ""],
      [t("名称", "Name"), r => `${esc(r.nickName)}<br><span class="mono muted">${esc(r.appid)}</span>`],
      [t("类型", "Kind"), r => r.appType === 0 ? t("小程序", "Mini program") : t("公众号", "Official account")],
      [t("主体", "Owner"), r => esc(r.principalName)],
      [t("认证", "Verification"), r => esc(named(VERIFY, r.verifyInfo))],
      [t("权限集", "Permissions"), r => permissions(r.funcInfo)],
      [t("授权时间", "Authorized"), r => esc(time(r.authTime))],
      ["", r => `<button class="plain" data-token="${esc(r.appid)}">${t("获取 token", "Get token")}</button>` +
        (r.appType === 0 ? ` <button class="plain" data-mp="${esc(r.appid)}">${t("小程序管理", "Manage mini program")}</button>` : "")],
    ], d.records);
    el.querySelectorAll("[data-token]").forEach(b => b.onclick = () => showToken(b.dataset.token).catch(() => {}));
    el.querySelectorAll("[data-mp]").forEach(b => b.onclick = () => openMiniProgram(b.dataset.mp));
    $("a-prev").disabled = page === 0;
    $("a-next").disabled = (page + 1) * limit >= d.total;
  };
  const run = () => load().catch(() => { $("a-list").textContent = ""; });
  $("a-search").onclick = () => { page = 0; run(); };
  $("a-search-text").onkeydown = e => { if (e.key === "Enter") { page = 0; run(); } };
  $("a-type").onchange = () => { page = 0; run(); };
  $("a-prev").onclick = () => { page--; run(); };
  $("a-next").onclick = () => { page++; run(); };
  // The pull answers once WeChat's whole list and every account's details
  // are read: until then the page says it is running and for how long.
  $("a-pull").onclick = async () => {
    const button = $("a-pull"), status = $("a-pull-status");
    const started = Date.now();
    const tick = () => { status.textContent = t(`正在从微信拉取…已用 ${Math.round((Date.now() - started) / 1000)} 秒`, `Pulling from WeChat… ${Math.round((Date.now() - started) / 1000)} s`); };
    button.disabled = true;
    tick();
    const timer = setInterval(tick, 1000);
    try {
      const d = await api("POST", "/admin/pull-authorizer-list", {});
      const incomplete = (d.incomplete || []).length;
      const said = t(`已拉取：微信列出 ${d.total} 个，保存 ${d.stored} 个，移除 ${d.removed} 个`, `Pulled: WeChat listed ${d.total}, ${d.stored} stored, ${d.removed} removed`) +
        (incomplete ? t(`，${incomplete} 个帐号详情未取到`, `, details of ${incomplete} unavailable`) : "");
      status.textContent = said;
      toast(said);
      page = 0;
      run();
    } catch (_) {
      status.textContent = t("拉取失败", "The pull failed");
    } finally {
      clearInterval(timer);
      button.disabled = false;
    }
  };
  run();
}
