// 授权链接: PC and H5 authorization links.
import { $, esc, api } from "../lib.js";

export default async function links(el) {
  el.innerHTML = `<section><h2>授权链接</h2>
    <div class="row"><select id="l-type"><option value="3">公众号和小程序 (3)</option><option value="1">公众号 (1)</option><option value="2">小程序 (2)</option><option value="6">全部 (6)</option></select>
    <input id="l-biz" placeholder="指定帐号 biz_appid（可选）" size="24"><input id="l-redirect" placeholder="回调地址 https://..." size="36">
    <button class="primary" id="l-go">生成</button></div><div id="l-out"></div></section>`;
  $("l-redirect").value = location.origin + "/";
  $("l-go").onclick = async () => {
    const d = await api("GET", "/authpage/authorization-links", undefined, {auth_type: $("l-type").value, biz_appid: $("l-biz").value.trim(), redirect_uri: $("l-redirect").value.trim()});
    $("l-out").innerHTML = `<p>PC 版（扫码）：<br><a class="mono" href="${esc(d.pcUrl)}" target="_blank" rel="noopener">${esc(d.pcUrl)}</a></p>
      <p>H5 版（在微信中打开）：<br><a class="mono" href="${esc(d.h5Url)}" target="_blank" rel="noopener">${esc(d.h5Url)}</a></p>
      <p class="muted">预授权码 ${d.expiresIn} 秒内有效，只能使用一次。</p>`;
  };
}
