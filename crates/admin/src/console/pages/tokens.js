// 令牌: the ticket, the component token and any authorizer token.
import { $, api, t } from "../lib.js";

export default async function tokens(el) {
  el.innerHTML = `
    <section><h2>component_verify_ticket</h2><div id="t-ticket" class="mono muted">${t("加载中…", "Loading…")}</div></section>
    <section><h2>component_access_token</h2><div id="t-component" class="mono muted">${t("加载中…", "Loading…")}</div></section>
    <section><h2>authorizer_access_token</h2>
      <div class="row"><input id="t-appid" placeholder="${t("授权帐号 appid", "Authorized account appid")}" size="28"><button class="primary" id="t-get">${t("获取", "Get")}</button></div>
      <div id="t-authorizer" class="mono"></div></section>`;
  api("GET", "/admin/ticket").then(d => { $("t-ticket").textContent = d.ticket; }).catch(e => { $("t-ticket").textContent = e.errorMsg || "-"; });
  api("GET", "/admin/component-access-token").then(d => { $("t-component").textContent = d.token; }).catch(e => { $("t-component").textContent = e.errorMsg || "-"; });
  $("t-get").onclick = async () => {
    const d = await api("GET", "/admin/authorizer-access-token", undefined, {appid: $("t-appid").value.trim()});
    $("t-authorizer").textContent = d.token;
  };
}
