// Small enhancements for NHI Portal pages. Every page works without this file: forms are plain
// posts, links are links. Nothing here writes inline styles or evaluates strings, so the portal can
// run under a strict Content Security Policy (no 'unsafe-inline', no 'unsafe-eval').
// docs/ui.md describes each data- attribute read here.
(function () {
  "use strict";

  var JOB_STATUS_LABELS = { queued: "待機中", running: "実行中", succeeded: "完了", failed: "失敗" }; // nhi_portal.models.JobStatus
  var POLL_MS = 1000;

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region) { return; }
    region.textContent = "";
    // A fresh text node after a tick makes screen readers announce the same words twice in a row too.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function isVisible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && !el.closest("[hidden], [inert]");
  }

  function isTypingTarget(el) {
    if (!el || el === document.body) { return false; }
    if (el.isContentEditable) { return true; }
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    if (tag === "INPUT") {
      return ["button", "submit", "reset", "checkbox", "radio", "file", "image", "range", "color"].indexOf(el.type) === -1;
    }
    return false;
  }

  // ---------------------------------------------------------------- error summary
  // Focus the summary on load (screen readers read it, keyboard users start there); its links
  // focus the field and scroll its label into view, as the GOV.UK pattern does.
  function initErrorSummary(root) {
    var summary = root.querySelector("[data-autofocus]");
    if (summary && root === document) { summary.focus(); }
    root.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
        if (!target) { return; }
        event.preventDefault();
        var legend = target.closest("fieldset") && target.closest("fieldset").querySelector("legend");
        var label = legend || document.querySelector("label[for='" + CSS.escape(target.id) + "']") || target;
        label.scrollIntoView();
        target.focus({ preventScroll: true });
      });
    });
  }

  // ---------------------------------------------------------------- double submission
  // A second click on 取り込む / 承認する while the first request is on its way is ignored.
  // Forms with data-allow-resubmit or a target, GET forms and htmx forms are left alone. The guard
  // lifts after a while, for a post that answers with a download and so never leaves the page.
  var RESUBMIT_AFTER_MS = 8000;

  function releaseForm(form) {
    delete form.dataset.submitting;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[aria-disabled='true']").forEach(function (b) { b.removeAttribute("aria-disabled"); });
  }

  function initSubmitGuard() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || (form.method || "get").toLowerCase() !== "post") { return; }
      if (form.hasAttribute("data-allow-resubmit") || form.hasAttribute("hx-post") || form.target) { return; }
      if (form.dataset.submitting === "true") { event.preventDefault(); return; }
      window.setTimeout(function () {
        if (event.defaultPrevented) { return; }
        form.dataset.submitting = "true";
        form.setAttribute("aria-busy", "true");
        form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
        window.setTimeout(function () { releaseForm(form); }, RESUBMIT_AFTER_MS);
      }, 0);
    });
    // Back button restores the page from cache: let the form be sent again.
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form[data-submitting]").forEach(releaseForm);
    });
  }

  // ---------------------------------------------------------------- keyboard shortcuts
  // <a data-shortcut="c" …> or <button data-shortcut="a" …>: pressing c clicks it; on a form field
  // the key focuses it. Not while typing, not with Ctrl/Alt/Meta, not during IME composition.
  // data-shortcut-label="…" overrides the text shown in the help dialog. "?" opens the help.
  var dialog = null;

  function shortcutElements() {
    return Array.prototype.filter.call(document.querySelectorAll("[data-shortcut]"), function (el) {
      return isVisible(el) && !el.disabled && el.getAttribute("aria-disabled") !== "true";
    });
  }

  function shortcutLabel(el) {
    if (el.dataset.shortcutLabel) { return el.dataset.shortcutLabel; }
    if (el.labels && el.labels.length) { return textWithoutHints(el.labels[0]); }
    return el.getAttribute("aria-label") || textWithoutHints(el) || el.getAttribute("title") || el.dataset.shortcut;
  }

  function textWithoutHints(el) {
    var copy = el.cloneNode(true);
    copy.querySelectorAll(".shortcut-hint, .visually-hidden").forEach(function (n) { n.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function decorateShortcuts(root) {
    root.querySelectorAll("[data-shortcut]").forEach(function (el) {
      if (el.dataset.shortcutReady) { return; }
      el.dataset.shortcutReady = "true";
      var key = el.dataset.shortcut;
      el.setAttribute("aria-keyshortcuts", key);
      var hint = document.createElement("kbd");
      hint.className = "kbd shortcut-hint";
      hint.setAttribute("aria-hidden", "true");
      hint.textContent = key;
      var host = (el.labels && el.labels.length) ? el.labels[0] : el;
      if (["INPUT", "SELECT", "TEXTAREA"].indexOf(host.tagName) === -1) { host.appendChild(hint); }
    });
    var helpHint = document.querySelector("[data-shortcut-help-hint]");
    if (helpHint) { helpHint.hidden = false; }
  }

  function buildDialog() {
    var d = document.createElement("dialog");
    d.className = "shortcut-dialog";
    d.setAttribute("aria-labelledby", "shortcut-dialog-title");
    var h = document.createElement("h2");
    h.id = "shortcut-dialog-title";
    h.textContent = "キーボード操作";
    var intro = document.createElement("p");
    intro.className = "hint";
    intro.textContent = "入力欄の外でキーを押すと、その操作をします。";
    var list = document.createElement("dl");
    list.className = "summary-list";
    var form = document.createElement("form");
    form.method = "dialog";
    var close = document.createElement("button");
    close.className = "button button--secondary";
    close.textContent = "閉じる";
    form.appendChild(close);
    d.append(h, intro, list, form);
    d.addEventListener("click", function (event) { if (event.target === d) { d.close(); } });
    document.body.appendChild(d);
    return d;
  }

  function addRow(list, key, text) {
    var row = document.createElement("div");
    var dt = document.createElement("dt");
    var kbd = document.createElement("kbd");
    kbd.className = "kbd";
    kbd.textContent = key;
    dt.appendChild(kbd);
    var dd = document.createElement("dd");
    dd.textContent = text;
    row.append(dt, dd);
    list.appendChild(row);
  }

  function openHelp() {
    dialog = dialog || buildDialog();
    var list = dialog.querySelector("dl");
    list.textContent = "";
    var seen = {};
    shortcutElements().forEach(function (el) {
      var key = el.dataset.shortcut;
      if (seen[key]) { return; }
      seen[key] = true;
      addRow(list, key, shortcutLabel(el));
    });
    addRow(list, "?", "この一覧を開く");
    addRow(list, "Esc", "この一覧を閉じる");
    if (!dialog.open) { dialog.showModal(); }
  }

  function onShortcutKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing || event.keyCode === 229) { return; }
    if (isTypingTarget(event.target)) { return; }
    if (dialog && dialog.open) { return; }
    if (document.querySelector("dialog[open]")) { return; }
    if (event.key === "?") { event.preventDefault(); openHelp(); return; }
    var match = shortcutElements().filter(function (el) { return el.dataset.shortcut === event.key; })[0];
    if (!match) { return; }
    event.preventDefault();
    match.focus();
    if (["INPUT", "SELECT", "TEXTAREA"].indexOf(match.tagName) !== -1 || match.dataset.shortcutAction === "focus") { return; }
    match.click();
  }

  // ---------------------------------------------------------------- tables that scroll sideways
  var tableCount = 0;

  function tableName(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var section = wrap.closest("section");
    var heading = section && section.querySelector("h1, h2, h3, h4");
    if (!heading) {
      for (var prev = wrap.previousElementSibling; prev; prev = prev.previousElementSibling) {
        if (/^H[1-4]$/.test(prev.tagName)) { heading = prev; break; }
      }
    }
    if (heading) { return textWithoutHints(heading); }
    tableCount += 1;
    return "表" + tableCount;
  }

  // A scrolling table must be reachable by keyboard (WCAG 2.1.1): focusable region, named by its caption.
  function initScrollRegions(root) {
    root.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth + 1 || wrap.hasAttribute("tabindex")) { return; }
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", tableName(wrap) + "（横にスクロールできます）");
    });
  }

  // ---------------------------------------------------------------- print buttons
  // <button type="button" class="button button--secondary" data-print hidden>印刷する</button>:
  // shown only when JavaScript can print; the browser's own print works in any case.
  function initPrintButtons(root) {
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      if (button.dataset.printReady) { return; }
      button.dataset.printReady = "true";
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // ---------------------------------------------------------------- open for printing
  // <details data-print-open>: a chart's table prints with the chart, open, and closes again after.
  function initPrintOpen() {
    var opened = [];
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details[data-print-open]:not([open])").forEach(function (details) {
        details.open = true;
        opened.push(details);
      });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (details) { details.open = false; });
      opened = [];
    });
  }

  // ---------------------------------------------------------------- job progress
  var jobStatus = {};

  function rememberJob(el) {
    var previous = jobStatus[el.id];
    var now = el.dataset.jobStatus;
    jobStatus[el.id] = now;
    if (previous && previous !== now && (now === "succeeded" || now === "failed")) {
      var title = el.querySelector(".job-progress__title");
      announce((title ? textWithoutHints(title).split("：")[0] : "処理") + "：" + (JOB_STATUS_LABELS[now] || now) + "しました");
    }
  }

  function renderJob(el, data) {
    el.dataset.jobStatus = data.status;
    el.dataset.jobFinished = data.finished ? "true" : "false";
    var status = el.querySelector(".job-progress__status");
    if (status) { status.textContent = JOB_STATUS_LABELS[data.status] || data.status; }
    var bar = el.querySelector("progress");
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
    var percent = el.querySelector(".job-progress__percent");
    if (percent) { percent.textContent = data.percent + "%"; }
    var message = el.querySelector(".job-progress__message");
    if (message) {
      message.textContent = data.message || "";
      if (data.total) {
        var count = document.createElement("span");
        count.className = "job-progress__count";
        count.textContent = "（" + data.done + " / " + data.total + "件）";
        message.appendChild(count);
      }
    }
    var error = el.querySelector(".job-progress__error");
    if (error) { error.textContent = data.error || ""; error.hidden = data.status !== "failed"; }
    var result = el.querySelector(".job-progress__result");
    if (result && data.status === "succeeded" && data.result_url) {
      var link = result.querySelector("a");
      link.href = data.result_url;
      link.textContent = data.result_url === window.location.pathname ? "最新の結果を表示する" : "結果を見る";
      result.hidden = false;
    }
    rememberJob(el);
  }

  function pollJob(el) {
    var failures = 0;
    function tick() {
      fetch(el.dataset.jobUrl, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          renderJob(el, data);
          if (!data.finished) { window.setTimeout(tick, POLL_MS); }
        })
        .catch(function () {
          failures += 1;
          if (failures < 5) { window.setTimeout(tick, POLL_MS * Math.pow(2, failures)); return; }
          var message = el.querySelector(".job-progress__message");
          if (message) { message.textContent = "進み具合を読み込めません。画面を更新してください。"; }
        });
    }
    window.setTimeout(tick, POLL_MS);
  }

  function initJobs(root) {
    var jobs = root.matches && root.matches(".job-progress") ? [root] : Array.prototype.slice.call(root.querySelectorAll(".job-progress"));
    jobs.forEach(function (el) {
      rememberJob(el);
      if (!window.htmx && el.dataset.jobUrl && el.dataset.jobFinished === "false" && !el.dataset.polling) {
        el.dataset.polling = "true";
        pollJob(el);
      }
    });
  }

  // ---------------------------------------------------------------- start
  ready(function () {
    initErrorSummary(document);
    initSubmitGuard();
    decorateShortcuts(document);
    initScrollRegions(document);
    initPrintButtons(document);
    initPrintOpen();
    initJobs(document);
    document.addEventListener("keydown", onShortcutKey);
    // htmx swapped in new content: give it the same treatment.
    document.body.addEventListener("htmx:load", function (event) {
      var elt = event.detail && event.detail.elt;
      if (!elt || elt === document.body) { return; }
      decorateShortcuts(elt);
      initScrollRegions(elt);
      initPrintButtons(elt);
      initJobs(elt);
    });
  });
})();
