// Yiyuan 艺苑: a compiled lesson in the browser, without a kernel.
//
// The page holds the lesson as run once at publish (widget state and views), the questions'
// descriptions and the learner's saved answers (#yiyuan-lesson-data). Jupyter's standalone
// widget manager (@jupyter-widgets/html-manager, loaded by require.js) draws the widgets; this
// script puts the saved answers back, saves changes to the service as the learner works, and
// runs the submit button (check → confirm → submit → result), as the kernel's Python did.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("yiyuan-lesson-data").textContent);
  var texts = data.texts;
  var byQuestion = {}; // question id → {spec, models}
  var pending = {}; // question id → answer not yet saved
  var saveTimer = null;
  var saving = false;

  function xsrf() {
    var match = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(method, path, body, extra) {
    var options = Object.assign(
      {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-XSRFToken": xsrf() },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
      extra || {}
    );
    return fetch(data.api + path, options).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (json) {
          return { status: response.status, ok: response.ok, json: json };
        });
    });
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = String(text);
    return div.innerHTML;
  }

  function countChars(text) {
    var n = 0;
    for (var ch of text) {
      if (!/\s/.test(ch)) n += 1;
    }
    return n;
  }

  // -- answers: read from and written to the widget models ---------------------------------

  function answerOf(q) {
    var spec = q.spec;
    var models = q.models;
    switch (spec.type) {
      case "SingleChoice":
      case "TrueFalse":
      case "Rating": {
        var index = models[0].get("index");
        return index === null || index === undefined ? null : spec.values[index];
      }
      case "MultipleChoice": {
        var chosen = spec.values.filter(function (value, i) {
          return models[i].get("value");
        });
        return chosen.length ? chosen : null;
      }
      default: {
        var text = models[0].get("value") || "";
        return text.trim() ? text : null;
      }
    }
  }

  function restore(q, value) {
    var spec = q.spec;
    var models = q.models;
    if (value === undefined || value === null) return;
    switch (spec.type) {
      case "SingleChoice":
      case "TrueFalse":
      case "Rating": {
        var index = spec.values.indexOf(value);
        if (index >= 0) models[0].set("index", index);
        break;
      }
      case "MultipleChoice":
        if (Array.isArray(value)) {
          spec.values.forEach(function (option, i) {
            models[i].set("value", value.indexOf(option) >= 0);
          });
        }
        break;
      default:
        if (typeof value === "string") models[0].set("value", value);
    }
  }

  function showCount(q) {
    if (!q.count) return;
    var n = countChars(q.models[0].get("value") || "");
    var min = q.spec.min_length || 0;
    var text = min
      ? texts.written_min.replace("{n}", n).replace("{min}", min)
      : texts.written.replace("{n}", n);
    q.count.set("value", '<div class="yiyuan-count">' + escapeHtml(text) + "</div>");
  }

  // -- finding one's way: how much is done, and the lesson's sections ----------------------

  // done as the service's check counts it (yiyuan.lesson.compiled.missing): answered, and a
  // reflection long enough
  function isDone(q) {
    var value = answerOf(q);
    if (value === null) return false;
    if (q.spec.type === "Reflection") return countChars(value) >= (q.spec.min_length || 0);
    return true;
  }

  function showProgress() {
    var el = document.querySelector(".yiyuan-progress");
    var ids = Object.keys(byQuestion);
    if (!el || !ids.length) return;
    var done = ids.filter(function (id) { return isDone(byQuestion[id]); }).length;
    el.textContent = texts.progress.replace("{done}", done).replace("{total}", ids.length);
    el.classList.toggle("complete", done === ids.length);
  }

  // 本课内容: in a lesson of three sections or more, links to each (the Markdown's ## headings)
  function contents() {
    var main = document.getElementById("yiyuan-lesson-main");
    var headings = main ? main.querySelectorAll("h2") : [];
    if (headings.length < 3) return;
    var list = document.createElement("ol");
    Array.prototype.forEach.call(headings, function (heading, i) {
      if (!heading.id) heading.id = "yiyuan-section-" + (i + 1);
      var link = document.createElement("a");
      link.href = "#" + encodeURIComponent(heading.id);
      // the heading's words, without nbconvert's ¶ anchor
      link.textContent = heading.textContent.replace(/¶\s*$/, "").trim();
      // jump without a history entry: the browser's back still leads to「我的学习」
      link.addEventListener("click", function (event) {
        event.preventDefault();
        history.replaceState(history.state, "", link.getAttribute("href"));
        heading.setAttribute("tabindex", "-1");
        heading.scrollIntoView();
        heading.focus({ preventScroll: true });
      });
      var item = document.createElement("li");
      item.appendChild(link);
      list.appendChild(item);
    });
    var details = document.createElement("details");
    details.className = "yiyuan-contents";
    var summary = document.createElement("summary");
    summary.textContent = texts.contents.replace("{n}", headings.length);
    details.appendChild(summary);
    var nav = document.createElement("nav");
    nav.setAttribute("aria-label", "本课内容");
    nav.appendChild(list);
    details.appendChild(nav);
    // under the lesson's title, where a reader looks first
    var title = main.querySelector("h1");
    var cell = title ? title.closest(".jp-Cell") || title : null;
    if (cell && cell.parentNode) cell.parentNode.insertBefore(details, cell.nextSibling);
    else main.insertBefore(details, main.firstChild);
  }

  // -- saving as the learner works -----------------------------------------------------------

  function saveState(text, failed) {
    var el = document.querySelector(".yiyuan-save-state");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("failed", !!failed);
  }

  function changed(q, delay) {
    pending[q.spec.id] = answerOf(q);
    showCount(q);
    showProgress();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, delay);
  }

  function save() {
    if (saving) {
      saveTimer = setTimeout(save, 500);
      return Promise.resolve(true);
    }
    var sent = pending;
    if (!Object.keys(sent).length) return Promise.resolve(true);
    pending = {};
    saving = true;
    saveState(texts.saving);
    return api("PUT", "answers", { answers: sent })
      .then(function (reply) {
        saving = false;
        if (!reply.ok) throw new Error(reply.json.error || texts.save_failed);
        var now = new Date();
        var hm = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
        saveState(texts.saved + " " + hm);
        document.body.dataset.yiyuanSaved = String(reply.json.revision);
        return true;
      })
      .catch(function (error) {
        saving = false;
        // keep what did not reach the service, unless changed again since
        for (var id in sent) if (!(id in pending)) pending[id] = sent[id];
        saveState(error && error.message && error.message !== "Failed to fetch" ? error.message : texts.save_failed, true);
        clearTimeout(saveTimer);
        saveTimer = setTimeout(save, 5000);
        return false;
      });
  }

  function saveOnLeave() {
    if (!Object.keys(pending).length) return;
    // keepalive: the request outlives the page
    api("PUT", "answers", { answers: pending }, { keepalive: true });
    pending = {};
  }
  window.addEventListener("pagehide", saveOnLeave);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") saveOnLeave();
  });

  // -- the submit button -------------------------------------------------------------------

  function message(box, outcome) {
    var html = "<div>" + escapeHtml(outcome.message) + "</div>";
    if (outcome.missing && outcome.missing.length) {
      html += "<ul>" + outcome.missing.map(function (m) {
        return "<li>" + escapeHtml(m) + "</li>";
      }).join("") + "</ul>";
    }
    if (outcome.link) {
      html += '<div><a href="' + escapeHtml(outcome.link[1]) + '" target="_blank" rel="noopener">' +
        escapeHtml(outcome.link[0]) + "</a></div>";
    }
    if (outcome.next) {  // passed: the way on
      html += '<div><a class="yiyuan-button primary yiyuan-next" href="' + escapeHtml(outcome.next[1]) +
        '">' + escapeHtml(outcome.next[0]) + "</a></div>";
    }
    box.className = "yiyuan-message " + (outcome.ok ? "ok" : "bad");
    box.innerHTML = html;
  }

  function submitPanel(slot) {
    slot.innerHTML =
      '<div class="yiyuan-submit">' +
      '<button type="button" class="yiyuan-button primary yiyuan-submit-button">提交本单元</button>' +
      '<div class="yiyuan-confirm" role="alert" hidden><p></p>' +
      '<button type="button" class="yiyuan-button danger yiyuan-confirm-button">确认提交</button> ' +
      '<button type="button" class="yiyuan-button yiyuan-cancel-button">取消</button></div>' +
      '<div class="yiyuan-message" role="status" aria-live="polite"></div></div>';
    if (data.due) {
      // when the module is due and what happens after (yiyuan.completion.lateness)
      var due = document.createElement("p");
      due.className = "yiyuan-due";
      due.textContent = data.due;
      slot.querySelector(".yiyuan-submit").insertBefore(due, slot.querySelector(".yiyuan-submit-button"));
    }
    var button = slot.querySelector(".yiyuan-submit-button");
    var confirmBox = slot.querySelector(".yiyuan-confirm");
    var out = slot.querySelector(".yiyuan-message");
    confirmBox.querySelector("p").textContent = texts.confirm;
    var generation = 0;
    if (!data.learner) {
      button.disabled = true;
      message(out, { ok: true, message: "预览：只有参加本课程的学员可以提交。" });
      return;
    }
    if (data.last_submission) {
      // a reopened module: how the last submission went (asked once, not followed)
      api("GET", "result/" + data.last_submission).then(function (reply) {
        if (generation !== 0 || !reply.ok || !reply.json.message) return;
        var last = Object.assign({}, reply.json, { message: texts.last + reply.json.message });
        message(out, last);
      });
    }
    button.addEventListener("click", function () {
      button.disabled = true;
      clearTimeout(saveTimer);
      save().then(function () {
        return api("POST", "submit", { check: true, answers: pending });
      }).then(function (reply) {
        button.disabled = false;
        if (reply.ok) {
          out.innerHTML = "";
          confirmBox.querySelector("p").textContent =
            (reply.json.notice ? reply.json.notice + " " : "") + texts.confirm;
          confirmBox.hidden = false;
          confirmBox.querySelector(".yiyuan-confirm-button").focus();
        } else {
          message(out, { ok: false, message: reply.json.message || reply.json.error || texts.failed, missing: reply.json.missing });
        }
      }).catch(function () {
        button.disabled = false;
        message(out, { ok: false, message: texts.failed });
      });
    });
    confirmBox.querySelector(".yiyuan-cancel-button").addEventListener("click", function () {
      confirmBox.hidden = true;
      message(out, { ok: true, message: texts.cancelled });
    });
    confirmBox.querySelector(".yiyuan-confirm-button").addEventListener("click", function () {
      confirmBox.hidden = true;
      button.disabled = true;
      generation += 1;
      var mine = generation;
      message(out, { ok: true, message: texts.submitting });
      api("POST", "submit", { answers: pending }).then(function (reply) {
        button.disabled = false;
        if (!reply.ok) {
          message(out, { ok: false, message: reply.json.message || reply.json.error || texts.failed, missing: reply.json.missing });
          return;
        }
        message(out, { ok: true, message: reply.json.message || texts.submitted });
        follow(reply.json.id, out, function () {
          return mine === generation;
        });
      }).catch(function () {
        button.disabled = false;
        message(out, { ok: false, message: texts.failed });
      });
    });
  }

  function follow(id, out, current) {
    var deadline = Date.now() + 180000;
    var shown = false;
    function ask() {
      if (!current()) return;
      api("GET", "result/" + id).then(function (reply) {
        if (!current()) return;
        if (reply.ok && reply.json.message) {
          message(out, reply.json);
          shown = true;
          if (reply.json.final) return;
        }
        if (Date.now() > deadline) {
          if (!shown) message(out, { ok: true, message: texts.still_grading });
          return;
        }
        asked += 1;
        setTimeout(ask, delay());
      }, function () {
        setTimeout(ask, 3000);
      });
    }
    // grading takes a few seconds: ask every second at first, then less often (a crowd
    // submitting before a deadline would otherwise ask the service thousands of times)
    var asked = 0;
    function delay() {
      return asked < 5 ? 1000 : asked < 15 ? 2000 : 5000;
    }
    setTimeout(ask, 800);
  }

  // -- drawing the widgets -----------------------------------------------------------------

  function draw(htmlmanager) {
    var stateTag = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
    var manager = new htmlmanager.HTMLManager();
    var state = stateTag ? JSON.parse(stateTag.textContent) : { state: {} };
    return manager.set_state(state).then(function (models) {
      var byId = {};
      models.forEach(function (model) {
        byId[model.model_id] = model;
      });
      data.questions.forEach(function (spec) {
        var q = {
          spec: spec,
          models: spec.models.map(function (id) {
            return byId[id];
          }),
          count: spec.count ? byId[spec.count] : null,
        };
        if (q.models.some(function (m) { return !m; })) return;
        byQuestion[spec.id] = q;
        restore(q, data.answers[spec.id]);
        showCount(q);
        var isText = spec.type === "FillIn" || spec.type === "Reflection";
        q.models.forEach(function (model) {
          model.on(isText ? "change:value" : "change:index change:value", function () {
            changed(q, isText ? 1500 : 300);
          });
        });
      });
      var tags = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
      return Promise.all(Array.prototype.map.call(tags, function (tag) {
        var model = byId[JSON.parse(tag.textContent).model_id];
        if (!model || !tag.parentElement) return null;
        var holder = document.createElement("div");
        holder.className = "widget-subarea";
        tag.parentElement.insertBefore(holder, tag);
        return manager.create_view(model).then(function (view) {
          return manager.display_view(view, holder);
        });
      }));
    });
  }

  function ready() {
    document.querySelectorAll(".yiyuan-submit-slot").forEach(submitPanel);
    showProgress();
    document.body.dataset.yiyuanReady = "1"; // the lesson is usable (tests, benchmarks)
  }

  // a lesson whose questions cannot be drawn says so (and still lets the learner read it)
  function broken(error) {
    console.error(error);
    var main = document.getElementById("yiyuan-lesson-main");
    var notice = document.createElement("div");
    notice.className = "yiyuan-message bad";
    notice.setAttribute("role", "alert");
    notice.textContent = "页面上的题目没有显示完整，请刷新页面；如果一直这样，请联系服务中心。";
    main.insertBefore(notice, main.firstChild);
    ready();
  }

  contents(); // the text is there already; the widgets come after
  // the errback: without it a widget manager that failed to load left the page silent forever
  window.require(["@jupyter-widgets/html-manager"], function (htmlmanager) {
    draw(htmlmanager).then(ready, broken);
  }, broken);
})();
