// 模板库: the 草稿箱 and the template library.
import { $, esc, time, toast, api, table, t } from "../lib.js";

export default async function templates(el) {
  el.innerHTML = `<section><h2>${t("草稿箱", "Drafts")}</h2><p class="muted">${t("开发小程序用微信开发者工具上传的代码；添加到模板库后可提交给授权的小程序。", "Code uploaded from the development mini program with WeChat DevTools; once added to the template library it can be committed to authorized mini programs.")}</p><div id="d-list">${t("加载中…", "Loading…")}</div></section>
    <section><h2>${t("模板库", "Template library")}</h2><div id="m-list">${t("加载中…", "Loading…")}</div></section>`;
  const load = async () => {
    const [drafts, library] = await Promise.all([api("GET", "/admin/draft-list"), api("GET", "/admin/template-list")]);
    $("d-list").innerHTML = table([
      [t("草稿 ID", "Draft ID"), r => esc(r.draftId)], [t("版本", "Version"), r => esc(r.userVersion)], [t("描述", "Description"), r => esc(r.userDesc)], [t("上传时间", "Uploaded"), r => esc(time(r.createTime))],
      ["", r => `<button class="plain" data-add="${esc(r.draftId)}" data-type="0">${t("添加为普通模板", "Add as regular template")}</button> <button class="plain" data-add="${esc(r.draftId)}" data-type="1">${t("添加为标准模板", "Add as standard template")}</button>`],
    ], drafts.draftList);
    $("m-list").innerHTML = table([
      [t("模板 ID", "Template ID"), r => esc(r.templateId)], [t("版本", "Version"), r => esc(r.userVersion)], [t("描述", "Description"), r => esc(r.userDesc)],
      [t("类型", "Type"), r => r.templateType === 1 ? t("标准", "Standard") : t("普通", "Regular")], [t("来源小程序", "Source mini program"), r => esc(r.sourceMiniprogram)], [t("创建时间", "Created"), r => esc(time(r.createTime))],
      ["", r => `<button class="plain" data-del-template="${esc(r.templateId)}">${t("删除", "Delete")}</button>`],
    ], library.templateList);
    el.querySelectorAll("[data-add]").forEach(b => b.onclick = async () => {
      await api("POST", "/admin/add-to-template", {draftId: Number(b.dataset.add), templateType: Number(b.dataset.type)});
      toast(t("已添加到模板库", "Added to the template library")); load().catch(() => {});
    });
    el.querySelectorAll("[data-del-template]").forEach(b => b.onclick = async () => {
      if (!confirm(t("删除该模板？", "Delete this template?"))) return;
      await api("POST", "/admin/delete-template", {templateId: Number(b.dataset.delTemplate)});
      toast(t("已删除", "Deleted")); load().catch(() => {});
    });
  };
  load().catch(() => {});
}
