// 设置: the platform secret, the authorization page, account and password.
import { $, toast, api, md5, logout } from "../lib.js";

export default async function settings(el) {
  el.innerHTML = `<section><h2>第三方平台 Secret</h2><p>当前：<span id="s-secret" class="mono"></span></p>
    <div class="row"><input id="s-new" placeholder="新的 Secret" size="40"><button class="primary" id="s-save">保存</button></div>
    <p class="muted">Secret 加密保存（AES-256-GCM），此处只显示掩码。</p></section>
    <section><h2>授权页信息</h2><div class="row"><input id="c-name" placeholder="名称"><input id="c-desc" placeholder="描述" size="30">
    <input id="c-redirect" placeholder="授权完成后跳转 https://..." size="36"><button class="primary" id="c-save">保存</button></div></section>
    <section><h2>帐号与密码</h2>
    <div class="row"><input id="u-name" placeholder="新帐号"><button class="primary" id="u-save">修改帐号</button></div>
    <div class="row"><input id="u-old" type="password" placeholder="旧密码"><input id="u-new" type="password" placeholder="新密码"><input id="u-new2" type="password" placeholder="重复新密码">
    <button class="primary" id="u-pwd">修改密码</button></div></section>`;
  api("GET", "/admin/secret").then(d => { $("s-secret").textContent = d.secret || "（未设置）"; }).catch(() => {});
  api("GET", "/authpage/componentinfo").then(d => { $("c-name").value = d.name || ""; $("c-desc").value = d.desc || ""; $("c-redirect").value = d.redirectUrl || ""; }).catch(() => {});
  $("s-save").onclick = async () => { await api("POST", "/admin/secret", {secret: $("s-new").value.trim()}); $("s-new").value = ""; toast("已保存"); settings(el); };
  $("c-save").onclick = async () => { await api("POST", "/admin/componentinfo", {name: $("c-name").value, desc: $("c-desc").value, redirectUrl: $("c-redirect").value.trim()}); toast("已保存"); };
  $("u-save").onclick = async () => { await api("POST", "/admin/username", {username: $("u-name").value.trim()}); localStorage.setItem("username", $("u-name").value.trim()); toast("已修改"); $("who").textContent = $("u-name").value.trim(); };
  $("u-pwd").onclick = async () => {
    if ($("u-new").value !== $("u-new2").value) return toast("两次密码输入不一致", true);
    await api("POST", "/admin/userpwd", {oldPassword: md5($("u-old").value), password: md5($("u-new").value)});
    toast("密码已修改，请重新登录"); logout();
  };
}
