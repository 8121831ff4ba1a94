// 设置: the platform (appid, authorization page info, secret shown masked
// only), the two push URLs to paste into the open platform, what the stored
// pushes show of WeChat's full-network-release check, account and password.
import { $, esc, time, toast, api, table, t, md5, logout, copy } from "../lib.js";

const STEPS = {
  text: ["文本消息 TESTCOMPONENT_MSG_TYPE_TEXT → 被动回复 TESTCOMPONENT_MSG_TYPE_TEXT_callback", "Text TESTCOMPONENT_MSG_TYPE_TEXT → passive reply TESTCOMPONENT_MSG_TYPE_TEXT_callback"],
  queryAuthCode: ["文本消息 QUERY_AUTH_CODE:$code → 空回复，再用 API 发客服消息 $code_from_api", "Text QUERY_AUTH_CODE:$code → empty reply, then the customer-service message $code_from_api through the API"],
  event: ["事件（如 LOCATION）→ 被动回复 事件名+from_callback", "An event (e.g. LOCATION) → passive reply <Event>from_callback"],
};

export default async function settings(el) {
  el.innerHTML = `<section><h2>${t("第三方平台", "Third-party platform")}</h2>
    <div class="kv"><span class="muted">AppID</span><span id="s-appid" class="mono"></span>
    <span class="muted">Secret</span><span id="s-secret" class="mono"></span></div>
    <div class="row"><input id="s-new" type="password" autocomplete="off" placeholder="${t("新的 Secret", "New secret")}" size="40"><button class="primary" id="s-save">${t("保存 Secret", "Save secret")}</button></div>
    <p class="muted">${t("Secret 加密保存（AES-256-GCM），此处只显示掩码。", "The secret is stored encrypted (AES-256-GCM); only a mask is shown here.")}</p></section>
    <section><h2>${t("授权页信息", "Authorization page")}</h2><div class="row"><input id="c-name" placeholder="${t("名称", "Name")}"><input id="c-desc" placeholder="${t("描述", "Description")}" size="30">
    <input id="c-redirect" placeholder="${t("授权完成后跳转 https://...", "After authorizing, go to https://...")}" size="36"><button class="primary" id="c-save">${t("保存", "Save")}</button></div></section>
    <section><h2>${t("消息推送地址", "Push URLs")}</h2>
    <p class="muted">${t("在微信开放平台「第三方平台 → 开发资料」中填写：", "Enter these in the WeChat Open Platform under Third-party platform → Development settings:")}</p>
    <div class="kv"><span>${t("授权事件接收 URL", "Authorization event URL")}</span><span class="row"><span id="s-cb-component" class="mono link"></span><button class="plain" id="s-cb-component-copy">${t("复制", "Copy")}</button></span>
    <span>${t("消息与事件接收 URL", "Message and event URL")}</span><span class="row"><span id="s-cb-biz" class="mono link"></span><button class="plain" id="s-cb-biz-copy">${t("复制", "Copy")}</button></span></div>
    <p class="muted" id="s-cb-note"></p></section>
    <section><h2>${t("全网发布检测", "Full-network release check")}</h2>
    <p class="muted">${t("测试帐号：", "Test accounts: ")}<span id="s-release-appids" class="mono"></span></p>
    <div id="s-release">${t("加载中…", "Loading…")}</div>
    <div class="row"><button class="plain" id="s-release-refresh">${t("刷新", "Refresh")}</button><button class="plain" id="s-release-help">${t("微信如何检测？", "How does WeChat check?")}</button></div>
    <div id="s-release-text" class="help hidden">
      <p>${t("在开放平台点击「全网发布」后，微信用专用测试公众号和小程序自动授权本平台，并向消息与事件接收 URL 推送三类消息：", "When you click “Full-network release” in the open platform, WeChat authorizes this platform with its own test official account and mini program and pushes three kinds of messages to the message and event URL:")}</p>
      <ol>${Object.values(STEPS).map(step => `<li>${esc(t(...step))}</li>`).join("")}</ol>
      <p>${t("回复须按平台的 Token 和 EncodingAESKey 加密签名；第 2 步须在数秒内用 api_query_auth 换取授权码后发出客服消息。本服务的推送接收端对上面的测试帐号自动作答（配置项 callback.release_test_appids）。", "Replies must be encrypted and signed with the platform's token and EncodingAESKey; step 2 must exchange the code with api_query_auth and send the customer-service message within seconds. This service's push receiver answers the test accounts above by itself (setting callback.release_test_appids).")}</p>
      <p>${t("上表统计已收到并保存的测试推送；客服消息是否送达只有微信的检测结果能确认。未收到推送时，先检查两个接收 URL 是否可从公网访问、Token 与 EncodingAESKey 是否与开放平台一致。", "The table counts the test pushes received and stored; whether the customer-service message arrived only WeChat's result can confirm. If none arrived, check that both URLs are reachable from the internet and that the token and EncodingAESKey match the open platform's.")}</p></div></section>
    <section><h2>${t("帐号与密码", "Account and password")}</h2>
    <div class="row"><input id="u-name" placeholder="${t("新帐号", "New account name")}"><button class="primary" id="u-save">${t("修改帐号", "Change account name")}</button></div>
    <div class="row"><input id="u-old" type="password" placeholder="${t("旧密码", "Current password")}"><input id="u-new" type="password" placeholder="${t("新密码", "New password")}"><input id="u-new2" type="password" placeholder="${t("重复新密码", "Repeat the new password")}">
    <button class="primary" id="u-pwd">${t("修改密码", "Change password")}</button></div></section>`;

  api("GET", "/admin/secret").then(d => { $("s-secret").textContent = d.secret || t("（未设置）", "(not set)"); }).catch(() => {});
  api("GET", "/authpage/componentinfo").then(d => {
    $("s-appid").textContent = d.appid || "";
    $("c-name").value = d.name || ""; $("c-desc").value = d.desc || ""; $("c-redirect").value = d.redirectUrl || "";
  }).catch(() => {});
  api("GET", "/admin/callback-config").then(d => {
    // WeChat pushes to the address the console is reached at, through the gateway.
    const component = location.origin + d.componentPath, biz = location.origin + d.bizPath;
    $("s-cb-component").textContent = component;
    $("s-cb-biz").textContent = biz;
    $("s-cb-component-copy").onclick = () => copy(component);
    $("s-cb-biz-copy").onclick = () => copy(biz);
    const local = /^(localhost|127\.|\[::1\])/.test(location.hostname);
    $("s-cb-note").textContent = (local ? t("当前是本机地址：请换成网关的公网 HTTPS 地址。", "This is a local address: use the gateway's public HTTPS address instead. ") : "") +
      t("$APPID$ 原样填写，微信会替换为授权帐号的 appid。", "Keep $APPID$ as it is: WeChat puts the account's appid there.") +
      (d.textMode === "json" ? t(` 云托管模式：环境 ${d.envId}，服务 ${d.service}。`, ` Cloud Run mode: environment ${d.envId}, service ${d.service}.`) : "");
  }).catch(() => {});

  const release = async () => {
    const d = await api("GET", "/admin/release-check");
    $("s-release-appids").textContent = (d.testAppids || []).join(", ") || t("（未配置）", "(none configured)");
    $("s-release").innerHTML = table([
      [t("步骤", "Step"), r => esc(STEPS[r.name] ? t(...STEPS[r.name]) : r.name)],
      [t("已收到", "Received"), r => r.count ? `<span class="ok">✓ ${r.count}</span>` : `<span class="muted">${t("未收到", "Not yet")}</span>`],
      [t("最近一次", "Latest"), r => esc(time(r.lastSeen))],
    ], d.steps);
  };
  release().catch(() => {});
  $("s-release-refresh").onclick = () => { release().then(() => toast(t("已刷新", "Refreshed"))).catch(() => {}); };
  $("s-release-help").onclick = () => $("s-release-text").classList.toggle("hidden");

  $("s-save").onclick = async () => {
    const secret = $("s-new").value.trim();
    if (!secret) return toast(t("请输入新的 Secret", "Enter the new secret"), true);
    if (!confirm(t("用新的 Secret 替换当前的？令牌将用它重新获取。", "Replace the current secret? Tokens will be fetched with the new one."))) return;
    await api("POST", "/admin/secret", {secret});
    $("s-new").value = "";
    toast(t("已保存", "Saved"));
    settings(el);
  };
  $("c-save").onclick = async () => {
    await api("POST", "/admin/componentinfo", {name: $("c-name").value, desc: $("c-desc").value, redirectUrl: $("c-redirect").value.trim()});
    toast(t("已保存", "Saved"));
  };
  $("u-save").onclick = async () => {
    const name = $("u-name").value.trim();
    if (!name) return toast(t("请输入新帐号", "Enter the new account name"), true);
    await api("POST", "/admin/username", {username: name});
    localStorage.setItem("username", name);
    toast(t("已修改", "Changed"));
    $("who").textContent = name;
  };
  $("u-pwd").onclick = async () => {
    if (!$("u-new").value) return toast(t("请输入新密码", "Enter the new password"), true);
    if ($("u-new").value !== $("u-new2").value) return toast(t("两次密码输入不一致", "The two new passwords differ"), true);
    await api("POST", "/admin/userpwd", {oldPassword: md5($("u-old").value), password: md5($("u-new").value)});
    toast(t("密码已修改，请重新登录", "Password changed: please sign in again"));
    logout();
  };
}
