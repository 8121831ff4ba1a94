// 授权链接: PC and H5 authorization links for a kind of account (and
// optionally one account), each with its QR code (SVG rendered by the admin)
// and a copy button.
import { $, esc, api, t, copy } from "../lib.js";

export default async function links(el) {
  el.innerHTML = `<section><h2>${t("授权链接", "Authorization links")}</h2>
    <div class="row"><select id="l-type"><option value="3">${t("公众号和小程序", "Official accounts and mini programs")} (3)</option><option value="1">${t("公众号", "Official accounts")} (1)</option><option value="2">${t("小程序", "Mini programs")} (2)</option><option value="6">${t("全部", "All")} (6)</option></select>
    <input id="l-biz" placeholder="${t("指定帐号 biz_appid（可选）", "Only this account: biz_appid (optional)")}" size="24"><input id="l-redirect" placeholder="${t("回调地址 https://...", "Redirect to https://...")}" size="36">
    <button class="primary" id="l-go">${t("生成", "Generate")}</button></div><div id="l-out"></div></section>`;
  $("l-redirect").value = location.origin + "/";
  $("l-go").onclick = async () => {
    const d = await api("GET", "/authpage/authorization-links", undefined, {auth_type: $("l-type").value, biz_appid: $("l-biz").value.trim(), redirect_uri: $("l-redirect").value.trim()});
    const link = (id, title, url) => `<p>${title}<br><a class="mono link" id="${id}" href="${esc(url)}" target="_blank" rel="noopener">${esc(url)}</a>
      <button class="plain" id="${id}-copy">${t("复制", "Copy")}</button></p>`;
    // The SVGs are the admin's own rendering of the links (paths only).
    $("l-out").innerHTML = link("l-pc", t("PC 版（在电脑浏览器打开，管理员扫码）：", "PC (open in a desktop browser; the administrator scans):"), d.pcUrl) +
      link("l-h5", t("H5 版（在微信中打开，或用微信扫下方二维码）：", "H5 (open in WeChat, or scan the code below with WeChat):"), d.h5Url) +
      `<div class="qr"><figure id="l-h5-qr">${d.h5QrSvg}<figcaption>${t("H5 版：微信扫码授权", "H5: scan with WeChat to authorize")}</figcaption></figure>
      <figure id="l-pc-qr">${d.pcQrSvg}<figcaption>${t("PC 版链接", "PC link")}</figcaption></figure></div>
      <p class="muted">${t(`预授权码 ${d.expiresIn} 秒内有效，只能使用一次。`, `The pre-authorization code is valid for ${d.expiresIn} s and can be used once.`)}</p>`;
    $("l-pc-copy").onclick = () => copy(d.pcUrl);
    $("l-h5-copy").onclick = () => copy(d.h5Url);
  };
}
