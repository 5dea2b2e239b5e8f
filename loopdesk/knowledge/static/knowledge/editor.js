// The article editor: a small toolbar over each rich-text textarea (it wraps the selection in HTML
// tags; the server sanitises whatever arrives), and the type switch that shows the fields of a type.
(function () {
  "use strict";
  function wrap(area, before, after) {
    var start = area.selectionStart, end = area.selectionEnd, text = area.value;
    var chosen = text.slice(start, end);
    area.value = text.slice(0, start) + before + chosen + after + text.slice(end);
    area.focus();
    area.selectionStart = start + before.length;
    area.selectionEnd = start + before.length + chosen.length;
  }
  var actions = {
    b: function (a) { wrap(a, "<strong>", "</strong>"); },
    i: function (a) { wrap(a, "<em>", "</em>"); },
    code: function (a) { wrap(a, "<code>", "</code>"); },
    pre: function (a) { wrap(a, "<pre>", "</pre>"); },
    p: function (a) { wrap(a, "<p>", "</p>"); },
    h3: function (a) { wrap(a, "<h3>", "</h3>"); },
    ul: function (a) { wrap(a, "<ul>\n<li>", "</li>\n</ul>"); },
    ol: function (a) { wrap(a, "<ol>\n<li>", "</li>\n</ol>"); },
    link: function (a) {
      var url = window.prompt(a.dataset.linkPrompt || "URL", "https://");
      if (url) { wrap(a, '<a href="' + url.replace(/"/g, "&quot;") + '">', "</a>"); }
    }
  };
  document.querySelectorAll("textarea.kb-rich").forEach(function (area) {
    var bar = document.createElement("div");
    bar.className = "kb-toolbar";
    Object.keys(actions).forEach(function (key) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = key === "link" ? "URL" : key.toUpperCase();
      button.dataset.action = key;
      button.addEventListener("click", function () { actions[key](area); });
      bar.appendChild(button);
    });
    area.parentNode.insertBefore(bar, area);
    area.addEventListener("focus", function () { window.kbLastArea = area; });
  });
  document.querySelectorAll("[data-insert-image]").forEach(function (button) {
    button.addEventListener("click", function () {
      var area = window.kbLastArea || document.querySelector("textarea.kb-rich");
      var html = button.dataset.image === "1"
        ? '<img src="' + button.dataset.insertImage + '" alt="' + button.dataset.name + '">'
        : '<a href="' + button.dataset.insertImage + '">' + button.dataset.name + "</a>";
      wrap(area, html, "");
    });
  });
  var typeSelect = document.getElementById("id_type");
  var form = document.getElementById("article-form");
  function showFields() {
    if (!typeSelect || !form) { return; }
    var map = JSON.parse(form.dataset.typeFields || "{}");
    var wanted = map[typeSelect.value] || ["body"];
    ["symptom", "cause", "resolution", "workaround", "body"].forEach(function (name) {
      var box = document.getElementById("field-" + name);
      if (!box) { return; }
      var hasText = (document.getElementById("id_" + name) || {}).value;
      box.hidden = wanted.indexOf(name) < 0 && name !== "body" && !hasText;
    });
  }
  if (typeSelect) { typeSelect.addEventListener("change", showFields); showFields(); }
})();
