// 令牌: the ticket, the component token and any authorizer token, masked;
// each copied whole with its button.
import { $, api, t, mask, copy } from "../lib.js";

// Shows `value` masked in `id` and arms its copy button.
function show(id, value) {
  $(id).textContent = mask(value);
  $(id).title = t(`共 ${value.length} 个字符，点“复制”取得完整值`, `${value.length} characters: use Copy for the whole value`);
  $(id + "-copy").classList.remove("hidden");
  $(id + "-copy").onclick = () => copy(value);
}

const copyButton = id => `<button class="plain hidden" id="${id}-copy">${t("复制", "Copy")}</button>`;

export default async function tokens(el) {
  el.innerHTML = `
    <section><h2>component_verify_ticket</h2><div class="row"><span id="t-ticket" class="mono muted">${t("加载中…", "Loading…")}</span>${copyButton("t-ticket")}</div></section>
    <section><h2>component_access_token</h2><div class="row"><span id="t-component" class="mono muted">${t("加载中…", "Loading…")}</span>${copyButton("t-component")}</div></section>
    <section><h2>authorizer_access_token</h2>
      <div class="row"><input id="t-appid" placeholder="${t("授权帐号 appid", "Authorized account appid")}" size="28"><button class="primary" id="t-get">${t("获取", "Get")}</button></div>
      <div class="row"><span id="t-authorizer" class="mono"></span>${copyButton("t-authorizer")}</div></section>
    <p class="muted">${t("令牌只显示首尾，完整值用“复制”取得。", "Tokens show only their ends; Copy takes the whole value.")}</p>`;
  api("GET", "/admin/ticket").then(d => show("t-ticket", d.ticket)).catch(e => { $("t-ticket").textContent = e.errorMsg || "-"; });
  api("GET", "/admin/component-access-token").then(d => show("t-component", d.token)).catch(e => { $("t-component").textContent = e.errorMsg || "-"; });
  $("t-get").onclick = async () => {
    const d = await api("GET", "/admin/authorizer-access-token", undefined, {appid: $("t-appid").value.trim()});
    show("t-authorizer", d.token);
  };
}
